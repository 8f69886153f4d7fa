//! A small WebDriver client for headless Chromium through chromedriver: enough to open pages, fill and submit
//! forms, upload a file and read the browser's console (where CSP violations are reported). Written here rather
//! than taken as a crate because it is ~150 lines over the W3C protocol and keeps async HTTP stacks out of tests.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C key for the element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    address: SocketAddr,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = call(
            self.address,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One WebDriver command; the answer's `value`, or the error WebDriver reported.
fn call(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut stream = TcpStream::connect(address).map_err(|error| error.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(120))).ok();
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|error| error.to_string())?;
    // chromedriver keeps the connection open whatever the request says, so the body is read by its length.
    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let (split, length) = loop {
        let read = stream
            .read(&mut buffer)
            .map_err(|error| error.to_string())?;
        if read == 0 {
            return Err("connection closed before the answer's headers".into());
        }
        raw.extend_from_slice(&buffer[..read]);
        if let Some(split) = raw.windows(4).position(|window| window == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .ok_or("an answer without Content-Length")?;
            break (split + 4, length);
        }
    };
    while raw.len() < split + length {
        let read = stream
            .read(&mut buffer)
            .map_err(|error| error.to_string())?;
        if read == 0 {
            return Err("connection closed in the middle of the answer".into());
        }
        raw.extend_from_slice(&buffer[..read]);
    }
    let answer: Value =
        serde_json::from_slice(&raw[split..split + length]).map_err(|error| error.to_string())?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if value.get("error").is_some() {
        return Err(value.to_string());
    }
    Ok(value)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with JavaScript switched off, as an applicant in Tor Browser's
    /// safest mode would have it. Panics with what to install when they are missing.
    pub fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "the browser tests need Chromium and ChromeDriver: `apt-get install chromium \
                 chromium-driver` (scripts/test installs them)",
            );
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let started = Instant::now();
        while call(address, "GET", "/status", None).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|path| std::path::Path::new(path).exists())
            .expect("Chromium at /usr/bin/chromium");
        // Without the background-networking switches Chromium tries to reach Google's hosts at every start.
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {"profile.managed_default_content_settings.javascript": 2},
            },
        }}});
        let session = call(address, "POST", "/session", Some(capabilities))
            .expect("a Chromium session")["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        let browser = Browser {
            driver,
            address,
            session,
            _profile: profile,
        };
        // A click returns before a slow answer (a sealed upload, a memory-hard codename) has loaded; looking up an
        // element then waits up to this long for the next page instead of failing on the old one.
        browser.command("POST", "/timeouts", Some(json!({"implicit": 20_000})));
        browser
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        call(self.address, method, &path, body)
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"))
    }

    pub fn open(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn source(&self) -> String {
        self.command("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn title(&self) -> String {
        self.command("GET", "/title", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The first element matching a CSS selector, if one appears within the implicit wait.
    pub fn find(&self, css: &str) -> Option<String> {
        let path = format!("/session/{}/element", self.session);
        let found = call(
            self.address,
            "POST",
            &path,
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()?;
        Some(found[ELEMENT_KEY].as_str()?.to_owned())
    }

    fn element(&self, css: &str) -> String {
        self.find(css)
            .unwrap_or_else(|| panic!("no element `{css}` on {}", self.url()))
    }

    /// Follows the link whose text is exactly `text`.
    pub fn click_link(&self, text: &str) {
        let path = format!("/session/{}/element", self.session);
        let found = call(
            self.address,
            "POST",
            &path,
            Some(json!({"using": "link text", "value": text})),
        )
        .unwrap_or_else(|error| panic!("no link `{text}` on {}: {error}", self.url()));
        let element = found[ELEMENT_KEY].as_str().unwrap().to_owned();
        self.command(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css);
        self.command(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        );
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let element = self.element(css);
        self.command(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    /// Clicks a form's button and waits until the page it leads to has replaced this one: the click returns
    /// before the next page loads, and reading on at once would read (or type into) the old one.
    pub fn submit(&self, css: &str) {
        let page = self.element("html");
        self.click(css);
        let started = Instant::now();
        let path = format!("/session/{}/element/{page}/name", self.session);
        while call(self.address, "GET", &path, None).is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "clicking `{css}` on {} led nowhere",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn text_of(&self, css: &str) -> String {
        let element = self.element(css);
        self.command("GET", &format!("/element/{element}/text"), None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.element(css);
        self.command("GET", &format!("/element/{element}/attribute/{name}"), None)
            .as_str()
            .map(str::to_owned)
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let encoded = self.command("GET", "/screenshot", None);
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap())
            .unwrap()
    }

    /// The console messages of warning level and above since the last call: CSP violations, failed loads and
    /// script errors all land here.
    pub fn console_problems(&self) -> Vec<String> {
        let entries = self.command("POST", "/se/log", Some(json!({"type": "browser"})));
        entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}
