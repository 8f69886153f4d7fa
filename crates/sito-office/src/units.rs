//! The battalions and their strength against target.

use axum::extract::State;
use axum::response::Response;

use crate::AppState;
use crate::auth::Staff;
use crate::error::WebError;
use crate::frame::{chrome, render};
use crate::views::{self};

pub(crate) async fn units(
    staff: Staff,
    State(state): State<AppState>,
) -> Result<Response, WebError> {
    let chrome = chrome(&staff, "/units", "/units");
    let units = state
        .store
        .list_units()
        .await?
        .into_iter()
        .map(|(unit, strength)| views::UnitRow {
            name: unit.name,
            strength,
            target: unit.target_strength,
            high: unit.target_strength.saturating_mul(9) / 10,
            free: unit.target_strength.saturating_sub(strength),
        })
        .collect();
    render(views::UnitsPage { chrome, units })
}
