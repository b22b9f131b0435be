//! One test's browser: a WebDriver session on a page of the test server, with the steps a
//! person takes (open a page, fill a form, press its button, read what the page says) and
//! screenshots of what they saw.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};

use crate::driver::{Driver, Programs, Screen};
use crate::helpers::TestApp;

/// Browser tests run one at a time: each starts a Chromium, and the machine has two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// How long a page or an element may take to appear.
const WAIT: Duration = Duration::from_secs(15);

/// A browser on the test server. Dropping it ends Chromium and chromedriver.
pub struct Browser {
    pub client: Client,
    /// The server's address, `http://127.0.0.1:<port>`.
    pub base: String,
    test: &'static str,
    // Dropped after `client`: the driver ends the browser the client talks to.
    driver: Driver,
    _turn: MutexGuard<'static, ()>,
}

impl Browser {
    /// A desktop browser for `test` on `app`, or `None` (after saying so) when Chromium is not
    /// installed and `CI` is not set.
    pub async fn open(test: &'static str, app: &TestApp) -> Option<Self> {
        Self::open_on(test, app, Screen::Desktop).await
    }

    /// Like [`Browser::open`], on `screen`.
    pub async fn open_on(test: &'static str, app: &TestApp, screen: Screen) -> Option<Self> {
        let programs = Programs::find(test)?;
        let turn = ONE_AT_A_TIME.lock().await;
        let driver = Driver::start(&programs).await;
        let client = driver.session(&programs, screen).await;
        Some(Self {
            client,
            base: app.address.clone(),
            test,
            driver,
            _turn: turn,
        })
    }

    /// Ends the WebDriver session (Chromium quits); the driver ends when `self` drops.
    pub async fn close(self) {
        let Browser { client, .. } = self;
        if let Err(e) = client.close().await {
            eprintln!("closing the browser: {e}");
        }
    }

    /// Opens `path` on the server and waits for the page to load.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The page's path (and query).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let path = self.path().await;
                let body = self.body_text().await;
                panic!(
                    "{}: no {css} on {path} ({e}); the page says:\n{body}",
                    self.test
                )
            }
        }
    }

    /// Every element matching `css` now (no waiting).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("looking for {css}: {e}"))
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.len()
    }

    /// The visible text of the element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading {css}: {e}"))
    }

    /// The visible text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.all(css).await {
            texts.push(element.text().await.expect("an element's text"));
        }
        texts
    }

    /// The whole page's visible text.
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no body: {e})"),
        }
    }

    /// The attribute `name` of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("reading {name} of {css}: {e}"))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its
    /// result; a returned promise is awaited.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("running {script:?}: {e}"))
    }

    /// Types `text` into the field matching `css`, replacing what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("a field to clear");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Chooses the option whose value is `value` in the select matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choosing {value:?} in {css}: {e}"));
    }

    /// Sets the value of the input matching `css` as a date picker would (for `date` and
    /// `datetime-local` inputs, whose typed form depends on the browser's locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        let element = serde_json::to_value(&element).expect("an element reference");
        self.js(
            "arguments[0].value = arguments[1]; \
             arguments[0].dispatchEvent(new Event('input', {bubbles: true})); \
             arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            vec![element, json!(value)],
        )
        .await;
    }

    /// Presses the submit button of the form matching `form_css` and waits until the next
    /// page has loaded.
    pub async fn submit(&self, form_css: &str) {
        let button = self
            .find(&format!(
                "{form_css} button[type=submit], {form_css} button:not([type])"
            ))
            .await;
        self.click_and_wait(&button).await;
    }

    /// Clicks `element` (a link or a submit button) and waits until the page it leads to has
    /// loaded: the old document's marker is gone and the new one is complete.
    pub async fn click_and_wait(&self, element: &Element) {
        self.js("window.__batonTestOldPage = true;", vec![]).await;
        element.click().await.expect("a click");
        self.wait_for_new_page().await;
    }

    /// Waits until the document that set `window.__batonTestOldPage` has been replaced.
    async fn wait_for_new_page(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let replaced = self
                .client
                .execute(
                    "return window.__batonTestOldPage === undefined \
                     && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            // Scripts may fail while the next document is being committed: try again.
            if matches!(replaced, Ok(Value::Bool(true))) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{}: the page did not change within {WAIT:?} (still {})",
                    self.test,
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (at most `limit`) until `script` returns `true` in the page; `what` says what was
    /// awaited when it does not.
    pub async fn wait_until(&self, limit: Duration, what: &str, script: &str) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if matches!(
                self.client.execute(script, vec![]).await,
                Ok(Value::Bool(true))
            ) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "{}: {what} did not happen within {limit:?}; the page says:\n{}",
                    self.test,
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs in through the sign-in form as `email` with `password` and waits for the page it
    /// leads to.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.submit("[data-test=signin-form]").await;
        assert!(
            self.count("[data-test=viewer-email]").await == 1,
            "{}: signing in as {email} failed: {}",
            self.test,
            self.body_text().await
        );
    }

    /// Opens a one-time sign-in link (the whole address, as `baton demo` prints it), presses
    /// its Sign in button and checks that it signed in: the page it leads to has the
    /// signed-in header.
    pub async fn sign_in_with_link(&self, link: &str) {
        self.client
            .goto(link)
            .await
            .unwrap_or_else(|e| panic!("opening {link}: {e}"));
        self.submit("[data-test=link-form]").await;
        assert!(
            self.count("[data-test=viewer-email]").await == 1,
            "{}: the sign-in link did not sign in: {}",
            self.test,
            self.body_text().await
        );
    }

    /// A POST from the page's own script, as a forged form would be sent: `fields` urlencoded,
    /// with the session cookie; returns the answer's status.
    pub async fn post_from_page(&self, path: &str, fields: Value) -> u64 {
        let status = self
            .js(
                "return fetch(arguments[0], {method: 'POST', credentials: 'same-origin', \
                   redirect: 'manual', body: new URLSearchParams(arguments[1])}) \
                 .then(function (r) { return r.status; });",
                vec![json!(path), fields],
            )
            .await;
        status
            .as_u64()
            .unwrap_or_else(|| panic!("a status: {status}"))
    }

    /// Saves a screenshot of the whole page as `<target>/browser-screenshots/<test>-<step>.png`
    /// and prints its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        let png = match self.full_page_png().await {
            Some(png) => png,
            None => self.client.screenshot().await.expect("a screenshot"),
        };
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let path = dir.join(format!("{}-{step}.png", self.test));
        std::fs::write(&path, png).expect("a screenshot file");
        println!("screenshot: {}", path.display());
        path
    }

    /// The whole page (beyond the window) as PNG, through Chromium's DevTools protocol
    /// (`Page.captureScreenshot`, as chromedriver forwards it), if that works.
    async fn full_page_png(&self) -> Option<Vec<u8>> {
        let size = self
            .js(
                "var d = document.documentElement; \
                 return [Math.max(d.scrollWidth, window.innerWidth), \
                         Math.min(Math.max(d.scrollHeight, window.innerHeight), 6000)];",
                vec![],
            )
            .await;
        let (width, height) = (size[0].as_f64()?, size[1].as_f64()?);
        let session = self.client.session_id().await.ok()??;
        let answer: Value = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver_url()
            ))
            .json(&json!({
                "cmd": "Page.captureScreenshot",
                "params": {
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                },
            }))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        let data = answer["value"]["data"].as_str()?;
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).ok()
    }

    fn driver_url(&self) -> &str {
        &self.driver.url
    }
}

/// `<target>/browser-screenshots`: `CARGO_TARGET_DIR` if set, else the workspace's `target/`.
pub fn screenshot_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .parent()
        .and_then(|crates| crates.parent())
        .map_or_else(|| manifest.join("../.."), PathBuf::from);
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("browser-screenshots")
}
