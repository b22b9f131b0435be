//! People who use the browser: accounts made as `baton user add` makes them, and one-time
//! sign-in links as `baton demo` prints them.

use baton_core::access::{Role, User};
use baton_server::web::accounts::{add_user, issue_login_link, link_url};

use crate::helpers::TestApp;

/// The password of every account these tests make.
pub const PASSWORD: &str = "correct horse battery staple";

/// Makes an account `email` with `role` and [`PASSWORD`].
pub async fn account(app: &TestApp, email: &str, role: Role) -> User {
    add_user(
        app.store.as_ref(),
        email,
        role,
        Some(PASSWORD),
        "test",
        app.clock.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("the account {email}: {e}"))
}

/// Makes an account `email` with `role` that has no password, and returns it with the
/// address of a one-time sign-in link for it.
pub async fn link_account(app: &TestApp, email: &str, role: Role) -> (User, String) {
    let user = add_user(
        app.store.as_ref(),
        email,
        role,
        None,
        "test",
        app.clock.now(),
    )
    .await
    .unwrap_or_else(|e| panic!("the account {email}: {e}"));
    let secret = issue_login_link(app.store.as_ref(), user.id, "test", app.clock.now())
        .await
        .unwrap_or_else(|e| panic!("a sign-in link for {email}: {e}"));
    (user, link_url(&app.address, &secret))
}
