//! End to end in a real headless Chromium with JavaScript switched off: an applicant applies on the intake site
//! with a document, gets a codename and checks the status; the office pulls the application; a coordinator signs
//! in (password, TOTP, the sign-in form's CSRF token) and finds the case with its document. Every page must load
//! without a single console complaint, so a CSP that blocks our own stylesheet, a missing asset or a cookie the
//! browser refuses fails here, where HTTP-level tests cannot see it.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::time::{Duration, Instant};

use sito_core::Role;
use support::demo::Demo;
use support::webdriver::Browser;

/// A 2×2 PNG, written to disk for the browser's file picker.
fn tiny_png(path: &std::path::Path) {
    let mut bytes = Vec::new();
    let pixels = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 30, 30]));
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn assert_quiet(browser: &Browser, page: &str) {
    let problems = browser.console_problems();
    assert!(
        problems.is_empty(),
        "{page}: the browser complained:\n{}",
        problems.join("\n")
    );
}

#[test]
fn an_application_travels_from_a_browser_without_javascript_to_the_staff_site() {
    let demo = Demo::start(5);
    let browser = Browser::start();
    let intake = format!("http://{}", demo.intake);
    let office = format!("http://{}", demo.office);

    // The applicant, in Russian, chooses a category and fills the guided form.
    browser.open(&format!("{intake}/?lang=ru"));
    assert_quiet(&browser, "intake home");
    assert!(browser.source().contains("lang=\"ru\""));
    browser.click("a[href^=\"/apply/political_emigre\"]");
    assert_quiet(&browser, "application form");
    browser.type_into("input[name=call_sign]", "Сапсан-Браузер");
    browser.type_into("input[name=full_name]", "Проверкин Пётр Браузерович");
    browser.type_into("textarea[name=statement]", "Хочу защищать свободу.");
    browser.click("form[action$=\"/review\"] button");
    assert_quiet(&browser, "review step");
    assert!(
        browser.source().contains("Проверкин Пётр Браузерович"),
        "the review shows what was entered"
    );

    // A passport photo goes through the browser's own multipart upload.
    let photo = demo.dir.path().join("passport.png");
    tiny_png(&photo);
    browser.type_into("input[type=file]", photo.to_str().unwrap());
    browser.click("form[action$=\"/send\"] button");
    assert_quiet(&browser, "codename page");
    let codename = browser.text_of(".codename");
    assert_eq!(
        codename.split_whitespace().count(),
        8,
        "eight words: {codename}"
    );

    // The codename opens the status page.
    browser.open(&format!("{intake}/status?lang=ru"));
    browser.type_into("input[name=codename]", &codename);
    browser.click("form[action=\"/status\"] button");
    assert_quiet(&browser, "status page");
    assert!(
        browser.find("textarea[name=text]").is_some(),
        "the right codename opens the thread: {}",
        browser.source()
    );

    // The coordinator signs in as a person would: call sign, password, the authenticator's code.
    let coordinator = demo.account(Role::IntakeCoordinator);
    browser.open(&format!("{office}/login"));
    assert_quiet(&browser, "sign-in page");
    browser.type_into("input[name=call_sign]", &coordinator.user);
    browser.type_into("input[name=password]", &coordinator.password);
    browser.type_into("input[name=code]", &coordinator.code_now());
    browser.click("form[action=\"/login\"] button");
    assert!(
        browser.find("form[action=\"/logout\"]").is_some(),
        "signed in: {}",
        browser.source()
    );
    assert!(
        browser.url().ends_with("/queue"),
        "signed in and sent to the queue, not {}",
        browser.url()
    );
    assert_quiet(&browser, "queue");

    // The office pulls on its own every few seconds; the case shows up in the list by its call sign.
    let started = Instant::now();
    loop {
        browser.open(&format!("{office}/cases"));
        if browser.source().contains("Сапсан-Браузер") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the application never reached the office"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_quiet(&browser, "case list");
    browser.click_link("Сапсан-Браузер");
    assert_quiet(&browser, "case page");
    let page = browser.source();
    assert!(page.contains("Сапсан-Браузер"));
    assert!(
        page.contains("image/png"),
        "the document arrived with the case"
    );
    assert!(
        !page.contains("Проверкин"),
        "the identity stays hidden until an audited reveal"
    );
}

/// Signs `role`'s demo account in through the real form, as a person would.
fn sign_in(browser: &Browser, demo: &Demo, office: &str, role: Role) {
    let account = demo.account(role);
    browser.open(&format!("{office}/login"));
    browser.type_into("input[name=call_sign]", &account.user);
    browser.type_into("input[name=password]", &account.password);
    browser.type_into("input[name=code]", &account.code_now());
    browser.submit("form[action=\"/login\"] button");
    assert!(
        browser.find("form[action=\"/logout\"]").is_some(),
        "{role} signed in: {}",
        browser.source()
    );
}

#[test]
fn a_psychologists_assessment_written_in_the_browser_reaches_the_boards_dossier() {
    let demo = Demo::start(60);
    let browser = Browser::start();
    let office = format!("http://{}", demo.office);
    const REASONING: &str = "Calm under pressure; the motive holds up against the service record";

    // The psychologist opens the first case of their queue and writes the assessment in its form.
    sign_in(&browser, &demo, &office, Role::Psychologist);
    browser.open(&format!("{office}/queue?stage=psychologist_interview"));
    assert_quiet(&browser, "psychologist's queue");
    let href = browser
        .attribute("table a[href^=\"/cases/\"]", "href")
        .expect("a case waits for the psychologist in the demo");
    let case_path = href
        .find("/cases/")
        .map(|at| href[at..].to_owned())
        .unwrap();
    browser.open(&format!("{office}{case_path}"));
    assert_quiet(&browser, "case page");
    // `find` waits for an element that is not there; the page source answers at once.
    if browser.source().contains("id=\"findings-interview_done\"") {
        browser.submit("form#findings-interview_done button");
        assert_quiet(&browser, "interview ticked");
    }
    let form = "form#findings-assessment_written";
    browser.type_into(
        &format!("{form} textarea[name=\"finding.motivation\"]"),
        "duty and revenge",
    );
    browser.type_into(&format!("{form} input[name=\"finding.stability\"]"), "4");
    browser.type_into(
        &format!("{form} textarea[name=\"finding.risk_indicators\"]"),
        "none seen",
    );
    // The list starts at "choose…": the recommendation is picked, never left to the first option.
    browser.click(&format!(
        "{form} select[name=\"finding.recommendation\"] option[value=\"recommend\"]"
    ));
    browser.type_into(
        &format!("{form} textarea[name=\"finding.reasoning\"]"),
        REASONING,
    );
    browser.submit(&format!("{form} button"));
    assert_quiet(&browser, "assessment recorded");
    assert!(
        browser.find("#findings-group-psychology").is_some(),
        "the assessment shows on the case page: {}",
        browser.source()
    );
    assert!(browser.source().contains(REASONING));
    browser.submit("form[action=\"/logout\"] button");

    // A board member reads it in the dossier, and in its print view.
    sign_in(&browser, &demo, &office, Role::BoardMember);
    browser.open(&format!("{office}{case_path}/dossier"));
    assert_quiet(&browser, "dossier");
    let dossier = browser.source();
    assert!(dossier.contains("id=\"stage-psychologist_interview\""));
    assert!(dossier.contains(REASONING), "{dossier}");
    assert!(
        dossier.contains(&demo.account(Role::Psychologist).user),
        "who recorded it"
    );
    browser.submit("a[href$=\"/dossier?print=1\"]");
    assert_quiet(&browser, "dossier print view");
    assert!(browser.source().contains("class=\"dossier print\""));
    assert!(browser.source().contains(REASONING));
}
