//! One case walked through every stage of its track in a real headless Chromium, with JavaScript off, by the
//! people who own each stage: each signs in through the form, writes the findings the pipeline declares, and
//! moves the case on. The visit is booked by committing the week's plan, the board reads the dossier before it
//! approves, and the unit commander finds the recruit handed over. No page may draw a console complaint.
#![allow(clippy::expect_used, clippy::unwrap_used)]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use sito_core::pipeline::Guard;
use sito_core::{Category, Phase, Pipeline, Role};
use support::demo::{Account, Demo};
use support::webdriver::Browser;

struct Walker<'a> {
    demo: &'a Demo,
    browser: Browser,
    office: String,
    signed_in: Option<String>,
    /// The last one-time code each account signed in with: a code is good once, so a second sign-in waits.
    codes: BTreeMap<String, String>,
    loads: u32,
}

impl Walker<'_> {
    fn open(&mut self, path: &str) {
        self.loads += 1;
        self.browser.open(&format!("{}{path}", self.office));
        self.quiet(path);
    }

    fn submit(&mut self, button: &str, what: &str) {
        self.loads += 1;
        self.browser.submit(button);
        self.quiet(what);
    }

    fn quiet(&self, page: &str) {
        let problems = self.browser.console_problems();
        assert!(problems.is_empty(), "{page}: {}", problems.join("\n"));
    }

    fn has(&self, css_marker: &str) -> bool {
        // `find` waits for an element that is not there; the page source answers at once.
        self.browser.source().contains(css_marker)
    }

    fn sign_in_as(&mut self, account: &Account) {
        if self.signed_in.as_deref() == Some(account.user.as_str()) {
            return;
        }
        if self.signed_in.is_some() {
            self.submit("form[action=\"/logout\"] button", "sign-out");
        }
        let mut code = account.code_now();
        while self.codes.get(&account.user) == Some(&code) {
            std::thread::sleep(Duration::from_secs(1));
            code = account.code_now();
        }
        self.open("/login");
        self.browser
            .type_into("input[name=call_sign]", &account.user);
        self.browser
            .type_into("input[name=password]", &account.password);
        self.browser.type_into("input[name=code]", &code);
        self.submit("form[action=\"/login\"] button", "sign-in");
        assert!(
            self.has("action=\"/logout\""),
            "{} signed in: {}",
            account.user,
            self.browser.source()
        );
        self.codes.insert(account.user.clone(), code);
        self.signed_in = Some(account.user.clone());
    }

    /// Fills the findings a check declares into the form `form`, as a person would with each kind of field.
    fn fill_findings(&self, pipeline: &Pipeline, check: &str, form: &str) {
        let Some(spec) = pipeline.findings(check) else {
            return;
        };
        for (key, value) in spec.example("Seen in person; consistent with the application.") {
            let name = format!("finding.{key}");
            if !self.has(&format!("name=\"{name}\"")) {
                continue;
            }
            let field = spec.fields.iter().find(|field| field.key == key).unwrap();
            match field.kind.as_str() {
                "choice" => self.browser.click(&format!(
                    "{form} select[name=\"{name}\"] option[value=\"{value}\"]"
                )),
                // A date field takes the digits of the browser's own order (en-US: month, day, year).
                "date" => {
                    let (year, rest) = value.split_at(4);
                    let (month, day) = (&rest[1..3], &rest[4..6]);
                    self.browser.type_into(
                        &format!("{form} input[name=\"{name}\"]"),
                        &format!("{month}{day}{year}"),
                    );
                }
                "text" => self
                    .browser
                    .type_into(&format!("{form} textarea[name=\"{name}\"]"), &value),
                _ => self
                    .browser
                    .type_into(&format!("{form} input[name=\"{name}\"]"), &value),
            }
        }
    }
}

fn accounts_of(demo: &Demo, role: Role) -> Vec<&Account> {
    demo.accounts
        .iter()
        .filter(|account| account.role == role)
        .collect()
}

#[test]
fn one_case_walks_every_stage_in_the_browser_with_real_findings() {
    let demo = Demo::start(60);
    demo.wait_for_log("link analysis done", Duration::from_secs(60));
    let pipeline = Pipeline::default_legion().unwrap();
    let mut walker = Walker {
        demo: &demo,
        browser: Browser::start(),
        office: format!("http://{}", demo.office),
        signed_in: None,
        codes: BTreeMap::new(),
        loads: 0,
    };

    let coordinator = demo.account(Role::IntakeCoordinator);
    walker.sign_in_as(coordinator);
    walker.open("/cases?stage=received&category=former_serviceman&status=active");
    let href = walker
        .browser
        .attribute("table a[href^=\"/cases/\"]", "href")
        .expect("a received case in the demo");
    let case = href[href.find("/cases/").unwrap()..].to_owned();

    let examiners = accounts_of(walker.demo, Role::PolygraphExaminer);
    let board = accounts_of(walker.demo, Role::BoardMember);
    let mut examiner_turn = 0;
    for stage in pipeline.track(Category::FormerServiceman) {
        if stage.phase == Phase::Assigned {
            break;
        }
        let owner = match stage.owner {
            Role::PolygraphExaminer => {
                examiner_turn += 1;
                examiners[examiner_turn - 1]
            }
            Role::BoardMember => board[0],
            role => walker.demo.account(role),
        };
        walker.sign_in_as(owner);
        if stage
            .checklist
            .iter()
            .any(|check| pipeline.is_booking_check(check))
        {
            // The visit is booked by committing the week's plan; the demo's background work may change a planned
            // case between build and commit, which stops the commit: plan again.
            let mut committed = false;
            for _ in 0..5 {
                walker.open("/planning");
                walker.submit("form[action=\"/planning/build\"] button", "plan built");
                walker.submit("form[action=\"/planning/commit\"] button", "plan committed");
                if !walker.has("class=\"notice error\"") {
                    committed = true;
                    break;
                }
            }
            assert!(
                committed,
                "the plan is committed: {}",
                walker.browser.source()
            );
        }
        walker.open(&case);
        for check in &stage.checklist {
            if pipeline.is_booking_check(check)
                || matches!(stage.phase, Phase::FirstPolygraph | Phase::SecondPolygraph)
            {
                continue;
            }
            let form = format!("form:has(input[name=\"check\"][value=\"{check}\"])");
            if !walker.has(&format!("name=\"check\" value=\"{check}\"")) {
                continue;
            }
            walker.fill_findings(&pipeline, check, &form);
            walker.submit(&format!("{form} button"), check);
            assert!(
                !walker.has("class=\"notice error\""),
                "{check}: {}",
                walker.browser.source()
            );
        }
        if stage.guards.contains(&Guard::NoOpenFlags) && stage.owner == Role::SecurityOfficer {
            while walker.has("name=\"action\" value=\"resolve\"") {
                let form = "form.flag";
                walker.browser.click(&format!(
                    "{form} input[name=\"confirmed\"][value=\"false\"]"
                ));
                walker.browser.type_into(
                    &format!("{form} input[name=\"reason\"]"),
                    "different people: checked by phone",
                );
                walker.submit(&format!("{form} button"), "flag resolved");
            }
        }
        match stage.phase {
            Phase::FirstPolygraph | Phase::SecondPolygraph => {
                let form = "form:has(input[name=\"action\"][value=\"polygraph\"])";
                walker.browser.click(&format!(
                    "{form} select[name=\"outcome\"] option[value=\"no_deception_indicated\"]"
                ));
                walker.fill_findings(&pipeline, &stage.checklist[0], form);
                walker.submit(&format!("{form} button"), "examination");
            }
            Phase::Decision => {
                // Each member reads the dossier, then approves with reasons.
                for member in board.iter().take(2) {
                    walker.sign_in_as(member);
                    walker.open(&format!("{case}/dossier"));
                    assert!(walker.has("id=\"stage-psychologist_interview\""));
                    assert!(walker.has("Seen in person; consistent with the application."));
                    for examiner in &examiners {
                        assert!(
                            walker.has(&examiner.user),
                            "examiner {} in the dossier",
                            examiner.user
                        );
                    }
                    walker.open(&case);
                    let form = "form:has(input[name=\"action\"][value=\"approve\"])";
                    walker.fill_findings(&pipeline, sito_core::machine::APPROVAL_CHECK, form);
                    walker.submit(&format!("{form} button"), "approval");
                }
            }
            _ => {}
        }
        if stage.guards.contains(&Guard::UnitCapacity) {
            let form = "form:has(input[name=\"action\"][value=\"assign\"])";
            walker
                .browser
                .click(&format!("{form} select[name=\"unit\"] option"));
            walker.submit(&format!("{form} button"), "assignment");
        } else {
            let form = "form:has(input[name=\"action\"][value=\"advance\"])";
            walker
                .browser
                .type_into(&format!("{form} textarea[name=\"note\"]"), "done");
            walker.submit(
                &format!("{form} button"),
                &format!("advance from {}", stage.id),
            );
        }
        assert!(
            !walker.has("class=\"notice error\""),
            "at {}: {}",
            stage.id,
            walker.browser.source()
        );
    }

    // The unit commander finds the recruit handed over, linked, on the queue.
    let commander = walker.demo.account(Role::UnitCommander);
    walker.sign_in_as(commander);
    walker.open("/queue");
    assert!(walker.has("id=\"handover\""), "{}", walker.browser.source());
    assert!(
        walker.has(&format!("href=\"{case}\"")),
        "the recruit is handed over"
    );
    eprintln!("browser walk: {} page loads and form posts", walker.loads);
}
