//! Recently viewed plans (SHOP-2), recorded off the catalogue's read path:
//! `GET /v1/products/{id_or_slug}` checks only what needs no storage (the
//! bearer token's signature, or a guest cart's secret against its id: both
//! keyed hashes) and drops the view into a bounded queue; one task per
//! instance drains it and writes. A full queue drops views rather than
//! slow the catalogue down.

use std::sync::{Mutex, PoisonError};

use actix_web::HttpRequest;
use domain::identity::TokenIssuer as _;
use domain::ids::{CartId, ProductId};
use domain::recently_viewed::{Claimed, View};
use domain::shop::cart::CART_SECRET;
use tokio::sync::mpsc;

use crate::background::Tracked;
use crate::routes::common::header;
use crate::state::AppState;

/// Views waiting to be written, at most.
pub const QUEUE: usize = 4096;

/// The header naming a guest's cart on catalogue reads.
pub const CART_ID_HEADER: &str = "x-cart-id";

type Queued = (View, Tracked);

/// The queue of views and, until the drain task takes it, its receiving end.
pub struct ViewRecorder {
    tx: mpsc::Sender<Queued>,
    rx: Mutex<Option<mpsc::Receiver<Queued>>>,
}

impl Default for ViewRecorder {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl ViewRecorder {
    /// Who reads a plan, as far as the request tells without storage: a
    /// bearer token with a valid signature, else a cart id with its secret.
    fn claimed(state: &AppState, req: &HttpRequest) -> Option<Claimed> {
        let now = state.clock.now();
        if let Some(token) = crate::auth::bearer(req) {
            // Not checked: the session (the drain task does).
            let claims = state.tokens.verify(token, now)?;
            return Some(Claimed::Session {
                customer: claims.subject,
                session: claims.session,
            });
        }
        let cart: CartId = header(req, CART_ID_HEADER)?.parse().ok()?;
        let secret = header(req, crate::routes::carts::CART_SECRET_HEADER)?;
        domain::shop::secret_matches(state.index.as_ref(), CART_SECRET, cart.as_uuid(), secret)
            .then(|| Claimed::Cart {
                cart,
                secret: secret.to_owned(),
            })
    }

    /// Hands the view of `product` over to the drain task, when the
    /// request names someone. Never waits.
    pub fn record(&self, state: &AppState, req: &HttpRequest, product: ProductId) {
        let Some(by) = Self::claimed(state, req) else {
            return;
        };
        let view = View {
            by,
            product,
            at: state.clock.now(),
        };
        if self.tx.try_send((view, state.background.track())).is_err() {
            tracing::debug!("the recently viewed queue is full; a view is dropped");
        }
    }

    /// Starts the task that writes the queued views (once per recorder).
    #[must_use]
    pub fn spawn(state: &actix_web::web::Data<AppState>) -> Option<tokio::task::JoinHandle<()>> {
        let mut rx = state
            .views
            .rx
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()?;
        let store = std::sync::Arc::clone(&state.store);
        let index = std::sync::Arc::clone(&state.index);
        Some(tokio::spawn(async move {
            while let Some((view, tracked)) = rx.recv().await {
                if let Err(e) =
                    domain::recently_viewed::record(store.as_ref(), index.as_ref(), &view).await
                {
                    tracing::warn!(error = %e, "a recently viewed plan was not recorded");
                }
                drop(tracked);
            }
        }))
    }
}
