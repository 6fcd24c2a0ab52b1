//! The demo catalogue: 48 realistic house plans, generated deterministically
//! so that loading it twice changes nothing.

use domain::catalogue::{
    Catalogue, CatalogueStore, Editor, FormatKind, ImageUrl, NewFormat, NewPlan, PlanError,
    PlanSpecs, PlanWriteError, Slug, Style,
};
use domain::money::{Currency, Money};

struct Theme {
    style: Style,
    name: &'static str,
    pitch: &'static str,
}

const THEMES: [Theme; 10] = [
    Theme {
        style: Style::Contemporary,
        name: "Maison contemporaine",
        pitch: "Toit plat, grandes baies vitrées et pièce de vie traversante ouverte sur le jardin.",
    },
    Theme {
        style: Style::Traditional,
        name: "Maison traditionnelle",
        pitch: "Toiture à deux pans, façade enduite et combles aménageables.",
    },
    Theme {
        style: Style::Bungalow,
        name: "Bungalow",
        pitch: "Tout de plain-pied, sans escalier, idéal pour vivre de plain-pied à tout âge.",
    },
    Theme {
        style: Style::Modern,
        name: "Maison moderne",
        pitch: "Volumes cubiques, cuisine ouverte et suite parentale avec dressing.",
    },
    Theme {
        style: Style::Farmhouse,
        name: "Fermette",
        pitch: "Grands volumes, charpente apparente et cellier attenant à la cuisine.",
    },
    Theme {
        style: Style::Provencal,
        name: "Mas provençal",
        pitch: "Tuiles canal, génoises et terrasse couverte orientée sud.",
    },
    Theme {
        style: Style::Chalet,
        name: "Chalet",
        pitch: "Ossature et bardage bois, balcon filant et poêle central.",
    },
    Theme {
        style: Style::Cottage,
        name: "Cottage",
        pitch: "Petite maison chaleureuse, lucarnes et bow-window dans le séjour.",
    },
    Theme {
        style: Style::Longere,
        name: "Longère",
        pitch: "Maison longue à la bretonne, pièce de vie en enfilade et cheminée.",
    },
    Theme {
        style: Style::WoodFrame,
        name: "Maison ossature bois",
        pitch: "Construction bois basse consommation, isolation renforcée et préau.",
    },
];

/// The demo plans, always the same.
#[must_use]
pub fn demo_plans() -> Vec<NewPlan> {
    let mut plans = Vec::with_capacity(48);
    for i in 0u32..48 {
        let theme = &THEMES[(i as usize * 7) % THEMES.len()];
        let bedrooms = u8::try_from(1 + (i * 3 + i / 7) % 5).unwrap_or(3);
        let living_area_m2 = 55 + u32::from(bedrooms) * 18 + (i * 37) % 60;
        let levels = if theme.style == Style::Bungalow {
            1
        } else {
            1 + u8::from(i % 3 == 0)
        };
        let garage_spaces = u8::try_from(i % 3).unwrap_or(0);
        let slug = format!(
            "{}-{}m2-{}ch-{:02}",
            slugify(theme.name),
            living_area_m2,
            bedrooms,
            i + 1
        );
        // Prices in whole euros, rounded to tens: a plan's price grows with its surface.
        let pdf_euros = 290 + living_area_m2 * 4 / 10 * 10 + (i % 4) * 20;
        let mut formats = vec![
            NewFormat {
                kind: FormatKind::Pdf,
                sku: format!("BTQ-{:03}-PDF", i + 1),
                price: eur(pdf_euros),
            },
            NewFormat {
                kind: FormatKind::PrintedSet,
                sku: format!("BTQ-{:03}-PRT", i + 1),
                price: eur(pdf_euros + 150),
            },
        ];
        if i % 2 == 0 {
            formats.push(NewFormat {
                kind: FormatKind::Cad,
                sku: format!("BTQ-{:03}-CAD", i + 1),
                price: eur(pdf_euros * 14 / 10 / 10 * 10),
            });
        }
        let storeys = if levels == 1 {
            "de plain-pied"
        } else {
            "à étage"
        };
        let garage = match garage_spaces {
            0 => "sans garage".to_owned(),
            1 => "avec garage".to_owned(),
            n => format!("avec garage double ({n} places)"),
        };
        let description = format!(
            "{} {} m², {} chambre{}, {} salle{} de bains, {storeys}, {garage}. {}",
            theme.name,
            living_area_m2,
            bedrooms,
            if bedrooms > 1 { "s" } else { "" },
            1 + bedrooms / 3,
            if bedrooms >= 3 { "s" } else { "" },
            theme.pitch
        );
        let images = (1..=3)
            .filter_map(|n| {
                ImageUrl::parse(&format!(
                    "https://images.boutique.example/plans/{slug}/{n}.jpg"
                ))
                .ok()
            })
            .collect();
        let Ok(slug) = Slug::parse(&slug) else {
            continue;
        };
        plans.push(NewPlan {
            slug,
            title: format!(
                "{} {} m² – {} chambre{}",
                theme.name,
                living_area_m2,
                bedrooms,
                if bedrooms > 1 { "s" } else { "" }
            ),
            description,
            style: theme.style,
            specs: PlanSpecs {
                living_area_m2,
                bedrooms,
                bathrooms: 1 + bedrooms / 3,
                levels,
                garage_spaces,
                lot_width_cm: 1200 + (living_area_m2 % 7) * 150,
                lot_depth_cm: 1800 + (living_area_m2 % 5) * 300,
            },
            images,
            formats,
            published: i % 16 != 15,
        });
    }
    plans
}

fn eur(euros: u32) -> Money {
    Money::from_minor(euros * 100, Currency::EUR)
}

fn slugify(name: &str) -> String {
    domain::text::fold(name).replace(' ', "-")
}

/// Loads the demo plans that are not there yet. Returns how many were added.
///
/// # Errors
/// When storage fails.
pub async fn seed<S: CatalogueStore>(catalogue: &Catalogue<S>) -> anyhow::Result<usize> {
    let mut added = 0;
    for plan in demo_plans() {
        match catalogue.create(plan, &Editor::system()).await {
            Ok(_) => added += 1,
            Err(PlanWriteError::Invalid(PlanError::SlugTaken | PlanError::SkuTaken)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn the_demo_catalogue_is_varied_and_valid() {
        let plans = demo_plans();
        assert_eq!(plans.len(), 48);
        let mut slugs: Vec<_> = plans.iter().map(|p| p.slug.clone()).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 48, "slugs are unique");
        let styles: std::collections::HashSet<_> = plans.iter().map(|p| p.style).collect();
        assert!(styles.len() >= 8);
        let bedrooms: std::collections::HashSet<_> =
            plans.iter().map(|p| p.specs.bedrooms).collect();
        assert!(bedrooms.len() >= 4);
        for p in plans {
            p.into_plan(Utc::now()).unwrap();
        }
    }
}
