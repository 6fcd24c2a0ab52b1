// A storefront's account area and catalogue, written against the client that
// openapi-typescript and openapi-fetch generate from ../../openapi.yaml. CI
// type-checks it (a new problem type breaks the exhaustive switch below until
// the frontend handles it) and runs it against a live server: register, log
// in, renew, browse, cart, estimate, checkout, a card payment confirmed
// through Stripe's webhook, the downloads and the invoice, the order list, the
// export and the erasure:
//
//   node dist/journey.js http://127.0.0.1:8080
//
// The card payment needs a Stripe: STRIPE_URL (CI: localstripe, a fake
// stateful Stripe), STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, the same the
// server was given. Without them the order is paid by bank transfer.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type ProblemType = components["schemas"]["ProblemType"];

/** What a storefront tells the person, for every problem the API can answer. */
export function advice(type: ProblemType): string {
  switch (type) {
    case "/problems/validation-failed":
    case "/problems/bad-request":
    case "/problems/malformed-json":
    case "/problems/client-error":
      return "Check the highlighted fields.";
    case "/problems/cursor-mismatch":
      return "The list changed: start again from the first page.";
    case "/problems/unauthorized":
      return "Please log in again.";
    case "/problems/invalid-credentials":
      return "Wrong e-mail or password.";
    case "/problems/forbidden":
      return "You cannot do this.";
    case "/problems/password-change-required":
      return "Choose a new password first.";
    case "/problems/not-found":
      return "Not found.";
    case "/problems/method-not-allowed":
    case "/problems/not-acceptable":
    case "/problems/length-required":
    case "/problems/uri-too-long":
    case "/problems/unsupported-media-type":
    case "/problems/headers-too-large":
    case "/problems/unprocessable-content":
    case "/problems/request-timeout":
      return "This request cannot be served.";
    case "/problems/conflict":
      return "Someone changed this meanwhile.";
    case "/problems/email-taken":
      return "Another account uses this address.";
    case "/problems/self-demotion":
      return "You cannot remove your own administrator role.";
    case "/problems/slug-taken":
    case "/problems/sku-taken":
      return "That name is taken.";
    case "/problems/idempotency-key-in-use":
      return "Still working on your previous click.";
    case "/problems/idempotency-key-reused":
      return "This form was already sent with other values.";
    case "/problems/payload-too-large":
      return "That is too large.";
    case "/problems/too-many-requests":
      return "Too many attempts: wait a moment.";
    case "/problems/cart-closed":
      return "This cart was already checked out: start a new one.";
    case "/problems/idempotency-key-conflict":
      return "This order was already placed with other details.";
    case "/problems/items-unavailable":
      return "Some items are no longer for sale: remove them.";
    case "/problems/illegal-transition":
      return "The order cannot do that in its current state.";
    case "/problems/refund-exceeds-payment":
      return "That is more than what is left to refund.";
    case "/problems/download-link-expired":
      return "This download link has expired: ask for your downloads again.";
    case "/problems/download-limit-reached":
      return "This file was downloaded as many times as allowed.";
    case "/problems/data-restricted":
      return "Your data are frozen at your request: write to the shop to lift it.";
    case "/problems/payment-provider-unavailable":
      return "Card payment is unavailable right now: try again, or pay by transfer.";
    case "/problems/internal-error":
    case "/problems/service-unavailable":
      return "Something went wrong on our side; try again later.";
    default: {
      const unhandled: never = type;
      return unhandled;
    }
  }
}

function check(condition: unknown, what: string): asserts condition {
  if (!condition) {
    throw new Error(`journey failed: ${what}`);
  }
}

/** What Stripe.js does in the browser, against a fake Stripe (localstripe). */
class FakeStripe {
  constructor(
    private readonly url: string,
    private readonly secretKey: string,
  ) {}

  private async post(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.url}${path}`, {
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from(`${this.secretKey}:`).toString("base64")}` },
      body: new URLSearchParams(form),
    });
    check(res.ok, `Stripe ${path}: ${res.status}`);
    // localstripe's own configuration calls answer an empty body.
    const text = await res.text();
    return (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
  }

  /** Sends Stripe's events to the server's webhook, signed with its secret. */
  async forward(base: string, secret: string): Promise<void> {
    await this.post(`/_config/webhooks/journey-${Date.now()}`, {
      url: `${base}/v1/payments/stripe/webhook`,
      secret,
      "events[]": "payment_intent.succeeded",
    });
  }

  /** A test card, then the confirmation of the intent. */
  async confirm(intent: string): Promise<void> {
    const card = await this.post("/v1/payment_methods", {
      type: "card",
      "card[number]": "4242424242424242",
      "card[exp_month]": "12",
      "card[exp_year]": "2030",
      "card[cvc]": "123",
    });
    await this.post(`/v1/payment_intents/${intent}`, { payment_method: String(card.id) });
    const confirmed = await this.post(`/v1/payment_intents/${intent}/confirm`, {});
    check(confirmed.status === "succeeded", `the card payment: ${String(confirmed.status)}`);
  }
}

async function main(base: string): Promise<void> {
  const api = createClient<paths>({ baseUrl: base });
  const { STRIPE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET } = process.env;
  let stripe: FakeStripe | undefined;
  if (STRIPE_URL && STRIPE_SECRET_KEY && STRIPE_WEBHOOK_SECRET) {
    stripe = new FakeStripe(STRIPE_URL, STRIPE_SECRET_KEY);
    await stripe.forward(base, STRIPE_WEBHOOK_SECRET);
  } else {
    console.log("no STRIPE_URL: the order is paid by bank transfer");
  }
  const email = `ts-${Date.now()}@example.fr`;
  const password = "un long mot de passe pour le client";

  const registered = await api.POST("/v1/auth/register", {
    body: {
      email,
      name: "Client TypeScript",
      password,
      accept_privacy_policy: true,
      privacy_policy_version: 1,
    },
  });
  check(registered.response.status === 202, "register");

  // A wrong password: the error is a typed problem the UI can switch on.
  const wrong = await api.POST("/v1/auth/login", {
    body: { email, password: "pas le bon mot de passe" },
  });
  check(wrong.error !== undefined, "a wrong password fails");
  console.log(`wrong password -> ${wrong.error.type}: ${advice(wrong.error.type as ProblemType)}`);

  const login = await api.POST("/v1/auth/login", { body: { email, password, remember_me: false } });
  check(login.data !== undefined, "login");
  let token = login.data.access_token;
  const auth = () => ({ Authorization: `Bearer ${token}` });

  const renewed = await api.POST("/v1/auth/refresh", { headers: auth() });
  check(renewed.data !== undefined, "refresh");
  check(renewed.data.session_id === login.data.session_id, "refresh keeps the session");
  token = renewed.data.access_token;
  console.log(`renewed until ${renewed.data.expires_at}`);

  // A second device, then "log out my other devices".
  const other = await api.POST("/v1/auth/login", { body: { email, password } });
  check(other.data !== undefined, "second login");
  const out = await api.DELETE("/v1/me/sessions", { headers: auth() });
  check(out.response.status === 204, "log out other devices");
  const stale = await api.GET("/v1/me", {
    headers: { Authorization: `Bearer ${other.data.access_token}` },
  });
  check(stale.response.status === 401, "the other device is logged out");
  const me = await api.GET("/v1/me", { headers: auth() });
  check(me.data?.email === email, "this device still works");

  // The catalogue revalidates with its ETag.
  const first = await api.GET("/v1/products", { params: { query: { limit: 5 } } });
  check(first.data !== undefined, "catalogue");
  const etag = first.response.headers.get("etag");
  check(etag !== null, "the catalogue has an ETag");
  const again = await fetch(`${base}/v1/products?limit=5`, { headers: { "If-None-Match": etag } });
  check(again.status === 304, "the catalogue answers 304 when unchanged");
  console.log(`catalogue: ${first.data.items.length} plans, revalidated with ${etag}`);

  // Creating an address twice with one Idempotency-Key makes one address.
  const key = `address-${Date.now()}`;
  const address = {
    kind: "shipping" as const,
    full_name: "Client TypeScript",
    line1: "12 rue des Lilas",
    postal_code: "69003",
    city: "Lyon",
    country: "FR" as const,
  };
  const created = await api.POST("/v1/me/addresses", {
    headers: { ...auth(), "Idempotency-Key": key },
    body: address,
  });
  const replayed = await api.POST("/v1/me/addresses", {
    headers: { ...auth(), "Idempotency-Key": key },
    body: address,
  });
  check(created.data !== undefined && replayed.data !== undefined, "address creation");
  check(created.data.id === replayed.data.id, "the retry created nothing new");
  const list = await api.GET("/v1/me/addresses", { headers: auth() });
  check(list.data?.items.length === 1, "one address");

  // Browse, cart, estimate, checkout (by card when a Stripe is there), the order list.
  const plan = first.data.items[0];
  check(plan !== undefined, "a plan to buy");
  const detail = await api.GET("/v1/products/{id_or_slug}", {
    params: { path: { id_or_slug: plan.id } },
  });
  const pdf = detail.data?.formats.find((f) => f.kind === "pdf");
  check(pdf !== undefined, "the plan sells a PDF");
  const cart = await api.POST("/v1/carts", { headers: auth() });
  check(cart.data !== undefined, "a cart");
  const cartId = cart.data.id;
  const added = await api.POST("/v1/carts/{cart_id}/items", {
    headers: auth(),
    params: { path: { cart_id: cartId } },
    body: { product_id: plan.id, format_id: pdf.id, quantity: 1 },
  });
  check(added.response.ok, "the PDF is in the cart");
  const estimate = await api.POST("/v1/carts/{cart_id}/estimate", {
    headers: auth(),
    params: { path: { cart_id: cartId } },
    body: { country: "FR" },
  });
  check(estimate.data !== undefined, "an estimate");
  const { kind: _kind, ...billing } = address;
  const placed = await api.POST("/v1/carts/{cart_id}/checkout", {
    headers: auth(),
    params: {
      path: { cart_id: cartId },
      header: { "Idempotency-Key": `checkout-${Date.now()}` },
    },
    body: {
      email,
      name: "Client TypeScript",
      billing_address: billing,
      accept_terms: true,
      privacy_policy_version: 1,
      payment_method: stripe === undefined ? "bank_transfer" : "stripe",
    },
  });
  check(placed.data !== undefined, "checkout");
  const orderId = placed.data.id;
  if (stripe !== undefined) {
    const payment = placed.data.payment;
    check(payment !== null && payment !== undefined, "a card payment to confirm");
    await stripe.confirm(payment.intent_id);
    // Stripe tells the server by its signed webhook; the page polls the order.
    let status = placed.data.status;
    for (let i = 0; i < 100 && status !== "completed"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const order = await api.GET("/v1/orders/{order_id}", {
        headers: auth(),
        params: { path: { order_id: orderId } },
      });
      check(order.data !== undefined, "the order");
      status = order.data.status;
    }
    check(status === "completed", `the paid order of files is completed, not ${status}`);
    const downloads = await api.GET("/v1/orders/{order_id}/downloads", {
      headers: auth(),
      params: { path: { order_id: orderId } },
    });
    check(downloads.data !== undefined && downloads.data.downloads.length === 1, "the PDF bought");
    const invoice = await api.GET("/v1/orders/{order_id}/invoice", {
      headers: auth(),
      params: { path: { order_id: orderId }, query: { format: "json" } },
    });
    check(typeof invoice.data === "object", "the invoice, as JSON");
    console.log(`paid by card through Stripe's webhook: invoice ${invoice.data.invoice.number}`);
  }
  const orders = await api.GET("/v1/me/orders", { headers: auth() });
  check(orders.data?.items.some((o) => o.id === orderId) === true, "the order is listed");
  const total = placed.data.totals.total;
  console.log(`order ${placed.data.number} placed: ${total.amount} ${total.currency} in minor units`);

  // The person's rights: the export, then the erasure, which ends the session.
  const exported = await fetch(`${base}/v1/me/export`, { headers: auth() });
  check(exported.status === 200, "the export");
  const erased = await api.DELETE("/v1/me", { headers: auth(), body: { password } });
  check(erased.response.status === 200, "the erasure");
  const gone = await api.GET("/v1/me", { headers: auth() });
  check(gone.response.status === 401, "the erased account's token no longer works");
  console.log("journey passed");
}

const base = process.argv[2] ?? "http://127.0.0.1:8080";
main(base).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
