//! End to end through a real browser: headless Chromium, driven over WebDriver (ChromeDriver),
//! signs in to the web console, opens a case, moves it through the workflow and reads the
//! audit log; and goes through the fleet pages, against the real server on a loopback port.
//!
//! The console is plain server-rendered HTML, so this is mostly about what only a browser
//! checks: that the forms post what the handlers expect (CSRF tokens, cookies with their
//! paths and SameSite rules, redirects) and that user input comes back as text, not markup.
//!
//! Needs Chromium and ChromeDriver (`apt-get install chromium chromium-driver`, or run
//! `scripts/test.sh`, which installs them). Without them the test fails rather than skipping.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use parapet_model::Role;
use serde_json::json;

/// How long to wait for anything: page loads, elements, ChromeDriver starting. Generous
/// because test machines can be slow and busy compiling.
const WAIT: Duration = Duration::from_secs(30);

/// How often to look again while waiting.
const POLL: Duration = Duration::from_millis(100);

/// Brackets, an ampersand and quotes: everything HTML escaping must handle.
const TITLE: &str = r#"Heap overflow in <b>parser</b> & "quotes""#;
const DESCRIPTION: &str = "A crafted <script>alert(1)</script> header overflows the buffer.";
const VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_end_to_end_in_chromium() {
    let started = Instant::now();
    // Start ChromeDriver first: if the browser is missing there is no point in the rest.
    let driver = ChromeDriver::start();

    let app = crate::TestApp::new().await;
    let _token = app.user("alice", Role::Analyst).await;
    // The analyst may not read the audit log (no ViewAudit permission); an admin may.
    app.user("root", Role::Admin).await;
    let server = crate::spawn(&app).await;

    let client = driver.connect().await;
    drive(driver, client.clone(), flow(client, server.base.clone())).await;
    eprintln!("browser test took {:.1?}", started.elapsed());
}

/// Runs a flow in its own task, so that a failed assertion comes back here as an error
/// instead of unwinding past `client.close()`: the session must end properly so that
/// ChromeDriver shuts Chromium down. Then fails as the flow did.
async fn drive(driver: ChromeDriver, client: Client, flow: impl std::future::Future<Output = ()> + Send + 'static) {
    let outcome = tokio::spawn(flow).await;
    if outcome.is_err() {
        dump_page(&client).await;
    }
    if let Err(e) = client.close().await {
        eprintln!("could not end the WebDriver session: {e}");
    }
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// The fleet console: an admin finds a host, opens what it needs, follows an advisory to its
/// exposure, and makes an enrollment secret, shown once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_console_in_chromium() {
    let driver = ChromeDriver::start();
    let app = crate::TestApp::new().await;
    let admin = app.user("root", Role::Admin).await;
    let (host, credential) = crate::fleet::exposed_host_and_credential(&app, &admin).await;
    let server = crate::spawn(&app).await;
    let client = driver.connect().await;
    drive(driver, client.clone(), fleet_flow(client, server.base.clone(), host, credential)).await;
}

async fn fleet_flow(c: Client, base: String, host: String, credential: String) {
    sign_in(&c, &base, "root").await;
    wait_for(&c, "header nav a[href='/console/fleet']").await.click().await.expect("follow the Fleet link");
    wait_for_text(&c, "h1", "Fleet").await;
    // ---- finds the host ----
    let form = find_form(&c, "form[action='/console/fleet']").await;
    type_into(&form, "q", "web-").await;
    field(&form, "input[name='needs_security_updates']").await.click().await.expect("tick the filter");
    submit(&form, "Find").await;
    wait_for_text(&c, "main p.muted:nth-of-type(2)", "1 host.").await;
    let row = text(&c, "#hosts tbody tr").await;
    assert!(row.contains("web-1") && row.contains("web"), "the host's row: {row:?}");
    wait_for(&c, &format!("#hosts a[href='/console/fleet/hosts/{host}']")).await.click().await.expect("open the host");
    // ---- opens its needed updates ----
    wait_for_path(&c, |p| p == format!("/console/fleet/hosts/{host}")).await;
    wait_for_text(&c, "h1", "web-1").await;
    let needed = text(&c, "#needed-updates tbody").await;
    assert!(needed.contains("openssl") && needed.contains("1.0-1") && needed.contains("1.0-2"), "{needed:?}");
    assert!(needed.contains("PARAPET-TEST-0001"), "the update names the advisory it fixes: {needed:?}");
    let history = text(&c, "#check-in-history").await;
    assert!(history.contains("inventory") && history.contains("enrolled"), "{history:?}");
    // ---- opens the advisory's exposure ----
    wait_for(&c, "#needed-updates a[href='/console/fleet/advisories/PARAPET-TEST-0001']")
        .await
        .click()
        .await
        .expect("follow the advisory");
    wait_for_text(&c, "h1", "Exposure to PARAPET-TEST-0001").await;
    assert_eq!(text(&c, "#hosts-now").await, "1");
    wait_for(&c, "figure.chart svg polyline").await;
    let groups = text(&c, "#status-by-group").await;
    assert!(groups.contains("web 1 1 0 0"), "status by group: {groups:?}");
    wait_for(&c, &format!("#exposed-hosts a[href='/console/fleet/hosts/{host}']")).await;
    // ---- makes an enrollment secret: shown once ----
    c.goto(&format!("{base}/console/fleet/enrollment")).await.expect("open enrollment");
    let form = find_form(&c, "form[action='/console/fleet/enrollment/secrets']").await;
    type_into(&form, "name", "<b>db</b> hosts").await;
    type_into(&form, "max_uses", "5").await;
    submit(&form, "Create secret").await;
    let shown = wait_for_text(&c, "#new-secret", "ppe_").await;
    assert!(shown.contains("<b>db</b> hosts") && shown.contains("parapet-agent enroll --server"), "{shown:?}");
    c.goto(&format!("{base}/console/fleet/enrollment")).await.expect("open enrollment again");
    wait_for_text(&c, "#secrets", "of 5").await;
    assert!(find_opt(&c, "#new-secret").await.is_none(), "the secret is shown once");
    // ---- and a group by rule ----
    let form = find_form(&c, "form[action='/console/fleet/enrollment/groups']").await;
    type_into(&form, "name", "prod").await;
    type_into(&form, "rule", "env=prod role=web").await;
    submit(&form, "Create group").await;
    let groups = wait_for_text(&c, "#groups", "prod").await;
    assert!(groups.contains("env=prod role=web"), "{groups:?}");
    // ---- approves the host's update for its group ----
    c.goto(&format!("{base}/console/fleet/updates")).await.expect("open the updates");
    wait_for_text(&c, "h1", "Updates and approvals").await;
    let row = text(&c, "#updates tbody tr").await;
    assert!(row.contains("openssl") && row.contains("1.0-2") && row.contains("not approved"), "{row:?}");
    let form = find_form(&c, "#updates form").await;
    field(&form, "select[name='group']").await.select_by_value("web").await.expect("choose the group");
    submit(&form, "Set").await;
    let row = wait_for_text(&c, "#updates tbody tr", "approved").await;
    assert!(row.contains("root"), "the approval says who made it: {row:?}");
    // ---- the agent checks in, gets its job, reports it ----
    let http = reqwest::Client::new();
    let answer: serde_json::Value = http
        .post(format!("{base}/api/v1/agent/check-in"))
        .bearer_auth(&credential)
        .json(&crate::fleet::check_in(2, None))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = answer["jobs"][0]["id"].as_i64().unwrap_or_else(|| panic!("no job: {answer}"));
    let report = json!({"outcome": "succeeded", "message": "installed openssl 1.0-2",
        "changes": [{"name": "openssl", "arch": "amd64", "before": "1.0-1", "after": "1.0-2"}],
        "log": "Setting up openssl (1.0-2) ...", "started_at": "2026-12-07T10:00:00Z", "finished_at": "2026-12-07T10:00:05Z"});
    let reported =
        http.post(format!("{base}/api/v1/agent/jobs/{job}/report")).bearer_auth(&credential).json(&report).send().await;
    assert_eq!(reported.unwrap().status(), 200);
    // ---- reads the host's job history, and rolls the install back ----
    c.goto(&format!("{base}/console/fleet/hosts/{host}")).await.expect("open the host");
    let history = wait_for_text(&c, "#job-history", "succeeded").await;
    assert!(history.contains("openssl 1.0-1 → 1.0-2") && history.contains("installed openssl 1.0-2"), "{history:?}");
    let form = find_form(&c, "#job-history form").await;
    submit(&form, "Roll back").await;
    let history = wait_for_text(&c, "#job-history", "rollback").await;
    assert!(history.contains("pending") && history.contains("openssl 1.0-1"), "{history:?}");
}

/// What the user does, step by step.
async fn flow(c: Client, base: String) {
    // ---- the analyst signs in ----
    sign_in(&c, &base, "alice").await;
    // The header names who is signed in, and analysts get no link to the audit log.
    let who = wait_for_text(&c, "header .who", "alice").await;
    assert!(who.contains("analyst"), "header: {who:?}");
    assert!(find_opt(&c, "header nav a[href='/audit']").await.is_none(), "analysts must not see the audit log link");

    // ---- opens a case ----
    c.goto(&format!("{base}/cases/new")).await.expect("open /cases/new");
    wait_for_text(&c, "h1", "New case").await;
    let form = find_form(&c, "form[action='/cases/new']").await;
    // A new case starts blank: no field may come pre-filled (say, with a placeholder the
    // template printed for a missing value).
    let prefilled = c
        .execute(
            "return Array.from(arguments[0].querySelectorAll('input:not([type=hidden]):not([type=checkbox]), textarea'))\
             .filter(f => f.value !== '').map(f => f.name + '=' + f.value)",
            vec![serde_json::to_value(&form).expect("the form as a script argument")],
        )
        .await
        .expect("read the new case form");
    assert_eq!(prefilled, json!([]), "the new case form must start empty");
    type_into(&form, "title", TITLE).await;
    type_into(&form, "description", DESCRIPTION).await;
    type_into(&form, "cvss_v31", VECTOR).await;
    submit(&form, "Create case").await;

    // The handler redirects to the new case's page, /cases/{id}.
    let case_path = wait_for_path(&c, |p| p.strip_prefix("/cases/").is_some_and(|id| id.parse::<i64>().is_ok())).await;
    let case_id = case_path.trim_start_matches("/cases/");
    let heading = wait_for_text(&c, "h1", "Heap overflow").await;
    // The title comes back as the literal text typed, so the markup in it was escaped...
    assert!(heading.ends_with(TITLE), "case heading: {heading:?}");
    // ...and nothing in it became an element.
    assert!(find_opt(&c, "h1 b").await.is_none(), "the title was rendered as HTML");
    let description = text(&c, "div.prose").await;
    assert_eq!(description, DESCRIPTION, "the description must come back as typed");
    assert!(find_opt(&c, "div.prose script").await.is_none(), "the description was rendered as HTML");
    // AV:N/AC:L/PR:N/UI:N with high impact everywhere is 9.8, Critical.
    assert_eq!(text(&c, "dl.facts .sev").await, "Critical");
    let cvss = text(&c, "dl.facts > div:nth-of-type(2) dd").await;
    assert!(cvss.contains("9.8") && cvss.contains(VECTOR), "CVSS v3.1: {cvss:?}");
    assert_eq!(text(&c, "#case-state").await, "New");

    // ---- moves it through the workflow ----
    for (state, label) in [("triaged", "Triaged"), ("confirmed", "Confirmed"), ("fix_in_progress", "Fix in progress")] {
        let form = find_form(&c, "form[action$='/transition']").await;
        let select = field(&form, "select[name='state']").await;
        select.select_by_value(state).await.unwrap_or_else(|e| panic!("choose {state}: {e}"));
        submit(&form, "Move").await;
        // Back on the case page, the badge shows the new state.
        let shown = wait_for_text(&c, "#case-state", label).await;
        assert_eq!(shown, label);
        assert_eq!(current_path(&c).await, case_path, "moving a case leads back to its page");
    }

    // The timeline tells the story, in words, with who did it.
    let timeline = text(&c, "#timeline").await;
    for line in [
        "alice opened the case",
        "alice moved it from new to triaged",
        "alice moved it from triaged to confirmed",
        "alice moved it from confirmed to fix_in_progress",
    ] {
        assert!(timeline.contains(line), "the timeline lacks {line:?}:\n{timeline}");
    }

    // The audit log is not for analysts, even when they type its address.
    c.goto(&format!("{base}/audit")).await.expect("open /audit");
    wait_for_text(&c, "h1", "Not allowed").await;
    // The error page keeps the signed-in header, and its home link leads back into the console.
    wait_for_text(&c, ".who", "alice").await;
    wait_for(&c, "main a[href='/']").await.click().await.expect("follow the home link");
    wait_for_path(&c, |p| p == "/dashboard").await;

    // ---- signs out ----
    let signout = find_form(&c, "form[action='/logout']").await;
    submit(&signout, "Sign out").await;
    wait_for_path(&c, |p| p == "/login").await;
    wait_for_text(&c, "h1", "Sign in").await;
    // Signed out for real: the console sends us back to sign in.
    c.goto(&format!("{base}/dashboard")).await.expect("open /dashboard");
    wait_for_path(&c, |p| p == "/login").await;

    // ---- an admin reads the audit log ----
    sign_in(&c, &base, "root").await;
    let link = wait_for(&c, "header nav a[href='/audit']").await;
    link.click().await.expect("follow the audit log link");
    wait_for_path(&c, |p| p == "/audit").await;
    wait_for_text(&c, "h1", "Audit log").await;
    let rows = audit_rows(&c).await;
    let by_alice = |action: &str| {
        rows.iter().filter(|r| r.who == "alice" && r.action == action && r.what == format!("case {case_id}")).count()
    };
    assert_eq!(by_alice("case.create"), 1, "one case.create by alice in the audit log: {rows:#?}");
    assert_eq!(by_alice("case.transition"), 3, "three case.transition by alice in the audit log: {rows:#?}");

    // ---- the admin writes an advisory: the editor checks it while it is typed ----
    c.goto(&format!("{base}/console/documents/new")).await.expect("open the editor");
    wait_for_text(&c, "h1", "New document").await;
    // The script runs under the page's Content-Security-Policy and checks the starting template.
    wait_for_text(&c, "#live-check", "Cannot check yet").await;
    let form = find_form(&c, "form[action='/console/documents/new']").await;
    field(&form, "select[name='kind']").await.select_by_value("advisory").await.expect("choose advisory");
    type_into(&form, "content", "{\"title\": ").await;
    wait_for_text(&c, "#live-check", "not valid document JSON").await;
    type_into(
        &form,
        "content",
        r#"{"title": "Disable the <b>legacy</b> listener", "summary": "Turn it off.", "category": "configuration", "references": [{"url": "https://acme.example/guide", "summary": "Guide"}]}"#,
    )
    .await;
    wait_for_text(&c, "#live-check", "Valid CSAF 2.0").await;
    submit(&form, "Save draft").await;
    let edit_path = wait_for_path(&c, |p| p.starts_with("/console/documents/PSA-")).await;
    let id = edit_path.trim_start_matches("/console/documents/").to_owned();
    let publish = find_form(&c, &format!("form[action='/console/documents/{id}/publish']")).await;
    submit(&publish, "Publish now").await;
    wait_for_path(&c, |p| p == format!("/documents/{id}")).await;
    let heading = wait_for_text(&c, "h1", &id).await;
    assert!(heading.ends_with("Disable the <b>legacy</b> listener"), "escaped title: {heading:?}");
    c.goto(&format!("{base}/security-updates?kind=advisory")).await.expect("open the guide");
    wait_for(&c, &format!("a[href='/documents/{id}']")).await;
}

// ---- steps ----

/// Signs in through the form and lands on the dashboard.
async fn sign_in(c: &Client, base: &str, name: &str) {
    c.goto(&format!("{base}/login")).await.expect("open /login");
    let form = find_form(c, "form[action='/login']").await;
    type_into(&form, "name", name).await;
    type_into(&form, "password", crate::PASSWORD).await;
    submit(&form, "Sign in").await;
    wait_for_path(c, |p| p == "/dashboard").await;
    wait_for_text(c, "h1", "Dashboard").await;
    wait_for_text(c, "header .who", name).await;
}

/// One row of the audit log table.
#[derive(Debug)]
struct AuditRow {
    who: String,
    action: String,
    what: String,
}

async fn audit_rows(c: &Client) -> Vec<AuditRow> {
    let mut rows = Vec::new();
    for row in c.find_all(Locator::Css("#audit tbody tr")).await.expect("read the audit table") {
        let cells = row.find_all(Locator::Css("td")).await.expect("read an audit row");
        if cells.len() < 4 {
            continue; // the "No entries." row
        }
        let mut texts = Vec::new();
        for cell in &cells[1..4] {
            texts.push(cell.text().await.expect("read an audit cell").trim().to_owned());
        }
        let [who, action, what] = <[String; 3]>::try_from(texts).expect("three cells");
        rows.push(AuditRow { who, action, what });
    }
    rows
}

// ---- browser helpers ----

/// A form on the current page, waiting for it to appear.
async fn find_form(c: &Client, css: &str) -> Element {
    wait_for(c, css).await
}

/// Types into a form's field key by key, as a user would, after clearing it.
async fn type_into(form: &Element, name: &str, value: &str) {
    let field = field(form, &format!("[name='{name}']")).await;
    field.clear().await.unwrap_or_else(|e| panic!("clear {name}: {e}"));
    field.send_keys(value).await.unwrap_or_else(|e| panic!("type into {name}: {e}"));
}

async fn field(form: &Element, css: &str) -> Element {
    form.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css} in the form: {e}"))
}

/// Submits a form by clicking its submit button with this label.
async fn submit(form: &Element, label: &str) {
    let xpath = format!(".//button[@type='submit' and normalize-space()='{label}']");
    let button = form.find(Locator::XPath(&xpath)).await.unwrap_or_else(|e| panic!("no {label:?} button: {e}"));
    button.click().await.unwrap_or_else(|e| panic!("click {label:?}: {e}"));
}

async fn find_opt(c: &Client, css: &str) -> Option<Element> {
    c.find(Locator::Css(css)).await.ok()
}

async fn wait_for(c: &Client, css: &str) -> Element {
    match c.wait().at_most(WAIT).every(POLL).for_element(Locator::Css(css)).await {
        Ok(element) => element,
        Err(e) => panic!("no {css} within {WAIT:?} on {}: {e}", current_path(c).await),
    }
}

async fn text(c: &Client, css: &str) -> String {
    let element = wait_for(c, css).await;
    element.text().await.unwrap_or_else(|e| panic!("text of {css}: {e}")).trim().to_owned()
}

/// Waits until the element's text contains `want`, and returns the text. Polls, because
/// after a click the old page may still be showing, and its elements go stale when the new
/// one arrives.
async fn wait_for_text(c: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + WAIT;
    let mut seen = String::new();
    loop {
        if let Ok(element) = c.find(Locator::Css(css)).await
            && let Ok(text) = element.text().await
        {
            if text.contains(want) {
                return text.trim().to_owned();
            }
            seen = text;
        }
        if Instant::now() > deadline {
            panic!("{css} did not show {want:?} within {WAIT:?} on {}; last seen {seen:?}", current_path(c).await);
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn current_path(c: &Client) -> String {
    c.current_url().await.map(|u| u.path().to_owned()).unwrap_or_else(|e| format!("<no URL: {e}>"))
}

/// Waits until the browser is at a path that satisfies `ok`, and returns the path.
async fn wait_for_path(c: &Client, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let path = current_path(c).await;
        if ok(&path) {
            return path;
        }
        if Instant::now() > deadline {
            panic!("still at {path} after {WAIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// After a failure: where the browser was and what it showed.
async fn dump_page(c: &Client) {
    let url = c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    let source = c.source().await.unwrap_or_default();
    eprintln!("---- the browser was at {url} ----\n{source}\n----");
}

// ---- ChromeDriver ----

/// ChromeDriver on a free loopback port, with a fresh Chromium profile. Killed on drop,
/// Chromium with it, also when the test fails.
struct ChromeDriver {
    child: Child,
    port: u16,
    chromium: PathBuf,
    profile: tempfile::TempDir,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let chromedriver = installed("PARAPET_TEST_CHROMEDRIVER", "/usr/bin/chromedriver", "ChromeDriver");
        let chromium = installed("PARAPET_TEST_CHROMIUM", "/usr/bin/chromium", "Chromium");
        let profile = tempfile::tempdir().expect("a temporary directory for the Chromium profile");
        let log = std::fs::File::create(profile.path().join("chromedriver.log")).expect("ChromeDriver's log file");
        // Port 0: ChromeDriver picks a free port itself and logs it, so parallel tests never race for one.
        let mut command = Command::new(&chromedriver);
        command
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("ChromeDriver's log file"))
            .stderr(log);
        // Its own process group, which Chromium and its helpers join, so that all of them
        // can be stopped together.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let mut driver = ChromeDriver { child, port: 0, chromium, profile };
        driver.port = driver.wait_until_listening();
        driver
    }

    /// Waits for ChromeDriver's "started successfully on port N." line and returns N.
    fn wait_until_listening(&mut self) -> u16 {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log();
            if let Some(port) = log
                .split("started successfully on port ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|digits| digits.parse().ok())
            {
                return port;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("ChromeDriver exited ({status}) before listening:\n{log}");
            }
            if Instant::now() > deadline {
                panic!("ChromeDriver did not start listening within {WAIT:?}:\n{log}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// A WebDriver session with headless Chromium.
    async fn connect(&self) -> Client {
        let args = [
            "--headless=new",
            // We run as root in a container: no user namespaces for the sandbox.
            "--no-sandbox",
            "--disable-gpu",
            // /dev/shm is small in containers.
            "--disable-dev-shm-usage",
            // There is no outside network: keep Chromium from trying to reach Google's
            // services over and over (it would flood the log with refused connections).
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!("--user-data-dir={}", self.profile.path().join("chromium").display())]);
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args.collect::<Vec<_>>() },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
        let url = format!("http://127.0.0.1:{}", self.port);
        // ChromeDriver speaks plain HTTP on loopback, so no TLS connector is needed.
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("could not start Chromium through ChromeDriver: {e}\n{}", self.log()))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromedriver.log")).unwrap_or_default()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole process group: ChromeDriver, and Chromium if it is still running.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of a program the test needs, from the environment or the Debian default; fails
/// the test, saying how to install it, when it is missing.
fn installed(variable: &str, default: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default));
    assert!(
        Path::new(&path).is_file(),
        "{what} is not installed at {} (set {variable} to where it is). The browser test needs \
         Chromium and ChromeDriver: `apt-get install chromium chromium-driver`, or run \
         scripts/test.sh, which installs them.",
        path.display()
    );
    path
}
