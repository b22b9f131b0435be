//! The `baton` binary, driven as a user would: the handbook's schedule, who is on duty, and the
//! overrides, swaps and time off that change it, on a fresh SQLite database per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A scratch folder with a copy of the example config whose database lives next to it.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/integrations.toml");
        std::fs::copy(example, dir.path().join("baton.toml")).unwrap();
        Self { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("baton.toml")
    }

    /// Runs `baton --config <sandbox>/baton.toml ARGS`.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .arg("--config")
            .arg(self.config())
            .args(args)
            .env_remove("BATON_DATABASE_URL")
            .env_remove("BATON_CONFIG")
            .env("USER", "tester")
            .output()
            .unwrap()
    }

    /// Runs and expects success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "baton {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "baton {args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn migrated() -> Self {
        let s = Self::new();
        s.ok(&["migrate"]);
        s
    }
}

fn members(shifts: &Value) -> Vec<String> {
    shifts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["member"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_schedule_is_the_handbook_table() {
    let s = Sandbox::new();
    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-09-26",
        "--until",
        "2022-11-21",
        "--format",
        "json",
    ]);
    assert_eq!(
        members(&shifts),
        ["philipp", "david", "taras", "beatrix", "philipp", "david", "taras", "beatrix"]
    );
    let starts: Vec<_> = shifts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2022-09-26T09:00:00+02:00",
            "2022-10-03T09:00:00+02:00",
            "2022-10-10T09:00:00+02:00",
            "2022-10-17T09:00:00+02:00",
            "2022-10-24T09:00:00+02:00",
            // Berlin leaves summer time on 30 October; hand-off stays at 09:00.
            "2022-10-31T09:00:00+01:00",
            "2022-11-07T09:00:00+01:00",
            "2022-11-14T09:00:00+01:00",
        ]
    );
    assert_eq!(shifts[7]["end"], "2022-11-21T09:00:00+01:00");
    assert_eq!(shifts[0]["name"], "Philipp");
    assert_eq!(shifts[0]["team"], "integrations");
    assert_eq!(shifts[0]["override"], false);

    let table = s.ok(&["schedule", "--from", "2022-09-26", "--until", "2022-11-21"]);
    for row in [
        "Sep 26–Oct 3   Philipp",
        "Oct 31–Nov 7   David",
        "Nov 14–Nov 21  Beatrix",
    ] {
        assert!(table.contains(row), "{row:?} missing from\n{table}");
    }

    let csv = s.ok(&[
        "schedule",
        "--from",
        "2022-09-26",
        "--until",
        "2022-11-21",
        "--format",
        "csv",
    ]);
    let lines: Vec<_> = csv.lines().collect();
    assert_eq!(lines[0], "team,member,name,start,end,override");
    assert_eq!(
        lines[1],
        "integrations,philipp,Philipp,2022-09-26T09:00:00+02:00,2022-10-03T09:00:00+02:00,false"
    );
    assert_eq!(lines.len(), 9);
}

#[test]
fn the_ics_feed_is_valid_icalendar() {
    let s = Sandbox::new();
    let text = s.ok(&[
        "schedule",
        "--from",
        "2022-09-26",
        "--until",
        "2022-11-21",
        "--format",
        "ics",
    ]);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
    let calendar = ical::IcalParser::new(text.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(calendar.events.len(), 8);
    let value = |e: &ical::parser::ical::component::IcalEvent, name: &str| {
        e.properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap()
    };
    assert_eq!(value(&calendar.events[0], "DTSTART"), "20220926T070000Z");
    assert_eq!(value(&calendar.events[5], "DTSTART"), "20221031T080000Z");
    assert_eq!(
        value(&calendar.events[0], "SUMMARY"),
        "Support rotation: Philipp"
    );
    assert!(value(&calendar.events[0], "UID").ends_with("@127.0.0.1"));
}

#[test]
fn who_is_on_duty_and_working() {
    let s = Sandbox::new();
    // Wednesday 18:00 in Berlin is noon in New York, inside David's working hours.
    let who = s.json(&["who", "--at", "2022-10-05T18:00", "--format", "json"]);
    assert_eq!(who["team"], "integrations");
    assert_eq!(who["member"], "david");
    assert_eq!(who["name"], "David");
    assert_eq!(who["start"], "2022-10-03T09:00:00+02:00");
    assert_eq!(who["end"], "2022-10-10T09:00:00+02:00");
    assert_eq!(who["working"], true);
    assert_eq!(who["next"]["member"], "taras");
    assert_eq!(who["next"]["start"], "2022-10-10T09:00:00+02:00");
    // 10:00 in Berlin is 04:00 in New York.
    let who = s.json(&["who", "--at", "2022-10-05T10:00", "--format", "json"]);
    assert_eq!(who["working"], false);
    // An instant with an offset is taken as is: 06:59 UTC is 08:59 in Berlin, still Beatrix's week.
    let who = s.json(&["who", "--at", "2022-10-24T06:59:00Z", "--format", "json"]);
    assert_eq!(who["member"], "beatrix");
    let table = s.ok(&["who", "--at", "2022-10-05T18:00"]);
    assert!(
        table.contains("David is working now (Wed 12:00 in America/New_York)"),
        "{table}"
    );
}

#[test]
fn an_override_changes_who_is_on_duty() {
    let s = Sandbox::migrated();
    let out = s.ok(&[
        "override",
        "add",
        "--member",
        "taras",
        "--from",
        "2022-10-05",
        "--until",
        "2022-10-07",
        "--reason",
        "David at a conference",
    ]);
    assert!(
        out.starts_with("override #1: Taras covers Integrations"),
        "{out}"
    );
    let who = s.json(&["who", "--at", "2022-10-06T12:00", "--format", "json"]);
    assert_eq!(
        (who["member"].as_str(), who["override"].as_bool()),
        (Some("taras"), Some(true))
    );
    assert_eq!(who["end"], "2022-10-07T00:00:00+02:00");
    assert_eq!(who["next"]["member"], "david");

    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-10-03",
        "--until",
        "2022-10-10",
        "--format",
        "json",
    ]);
    assert_eq!(members(&shifts), ["david", "taras", "david"]);
    assert_eq!(shifts[1]["override"], true);

    let list = s.json(&["override", "list", "--all", "--format", "json"]);
    assert_eq!(list[0]["member"], "taras");
    assert_eq!(list[0]["reason"], "David at a conference");
    assert_eq!(list[0]["created_by"], "tester");

    s.ok(&["override", "remove", "1"]);
    let who = s.json(&["who", "--at", "2022-10-06T12:00", "--format", "json"]);
    assert_eq!(who["member"], "david");
    let err = s.fails(&["override", "remove", "1"]);
    assert!(err.contains("override #1"), "{err}");
}

#[test]
fn overrides_refuse_strangers_and_backwards_ranges() {
    let s = Sandbox::migrated();
    let err = s.fails(&[
        "override",
        "add",
        "--member",
        "zoe",
        "--from",
        "2022-10-05",
        "--until",
        "2022-10-07",
    ]);
    assert!(
        err.contains("\"zoe\" is not a member of team integrations"),
        "{err}"
    );
    let err = s.fails(&[
        "override",
        "add",
        "--member",
        "taras",
        "--from",
        "2022-10-07",
        "--until",
        "2022-10-05",
    ]);
    assert!(
        err.contains("--until (2022-10-05) must come after --from (2022-10-07)"),
        "{err}"
    );
    let err = s.fails(&[
        "override",
        "add",
        "--member",
        "taras",
        "--from",
        "soon",
        "--until",
        "2022-10-05",
    ]);
    assert!(
        err.contains("--from \"soon\" is not a date or time"),
        "{err}"
    );
}

#[test]
fn a_swap_exchanges_two_weeks() {
    let s = Sandbox::migrated();
    let out = s.ok(&[
        "swap",
        "--first",
        "2022-10-03",
        "--second",
        "2022-10-12",
        "--reason",
        "conference",
    ]);
    assert!(
        out.contains("Taras now takes Oct 3–Oct 10 and David takes Oct 10–Oct 17"),
        "{out}"
    );
    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-09-26",
        "--until",
        "2022-10-24",
        "--format",
        "json",
    ]);
    assert_eq!(members(&shifts), ["philipp", "taras", "david", "beatrix"]);
    let swaps = s.json(&["swap", "list", "--format", "json"]);
    assert_eq!(swaps[0]["first"], "2022-10-03T07:00:00Z");
    let err = s.fails(&["swap", "--first", "2022-09-26", "--second", "2022-10-24"]);
    assert!(err.contains("both shifts are Philipp's"), "{err}");
    s.ok(&["swap", "remove", "1"]);
    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-09-26",
        "--until",
        "2022-10-24",
        "--format",
        "json",
    ]);
    assert_eq!(members(&shifts), ["philipp", "david", "taras", "beatrix"]);
}

#[test]
fn time_off_during_a_shift_suggests_a_cover() {
    let s = Sandbox::migrated();
    // Taras (Kyiv) is away Wednesday to Thursday of his week, Oct 10–17.
    let out = s.ok(&[
        "time-off",
        "add",
        "--member",
        "taras",
        "--from",
        "2022-10-12",
        "--until",
        "2022-10-13",
        "--reason",
        "vacation",
    ]);
    assert!(out.starts_with("time off #1: taras is away from Wed 2022-10-12 00:00 until Fri 2022-10-14 00:00 (Europe/Kyiv)"), "{out}");
    // Beatrix's last week (Sep 19–26) lies furthest back.
    assert!(out.contains("Suggested cover: Beatrix"), "{out}");
    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-10-10",
        "--until",
        "2022-10-17",
        "--format",
        "json",
    ]);
    assert_eq!(shifts[0]["away"][0]["suggested_cover"], "beatrix");
    // Kyiv midnight is 23:00 the day before in Berlin.
    assert_eq!(shifts[0]["away"][0]["start"], "2022-10-11T23:00:00+02:00");
    let who = s.json(&["who", "--at", "2022-10-12T10:00", "--format", "json"]);
    assert_eq!(
        (who["member"].as_str(), who["working"].as_bool()),
        (Some("taras"), Some(false))
    );

    // The suggested command resolves the conflict.
    s.ok(&[
        "override",
        "add",
        "--member",
        "beatrix",
        "--from",
        "2022-10-11T23:00:00+02:00",
        "--until",
        "2022-10-13T23:00:00+02:00",
    ]);
    let shifts = s.json(&[
        "schedule",
        "--from",
        "2022-10-10",
        "--until",
        "2022-10-17",
        "--format",
        "json",
    ]);
    assert_eq!(members(&shifts), ["taras", "beatrix", "taras"]);
    assert!(shifts
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["away"].as_array().unwrap().is_empty()));

    let list = s.json(&["time-off", "list", "--all", "--format", "json"]);
    assert_eq!(list[0]["timezone"], "Europe/Kyiv");
    s.ok(&["time-off", "remove", "1"]);
    assert_eq!(
        s.json(&["time-off", "list", "--all", "--format", "json"]),
        Value::Array(vec![])
    );
}

#[test]
fn changes_need_a_created_database() {
    let s = Sandbox::new();
    let err = s.fails(&[
        "override",
        "add",
        "--member",
        "taras",
        "--from",
        "2022-10-05",
        "--until",
        "2022-10-07",
    ]);
    assert!(err.contains("does not exist; run `baton migrate`"), "{err}");
    // Reading works without one, and says so.
    let out = s.run(&["who", "--at", "2022-10-05T12:00"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist yet"));
    s.ok(&["migrate"]);
    assert!(
        s.dir.path().join("baton.db").exists(),
        "the database sits next to the config"
    );
}

#[test]
fn config_check_names_file_line_and_field() {
    let s = Sandbox::new();
    let out = s.ok(&["config", "check"]);
    assert!(out.contains("OK — 1 team(s)"), "{out}");
    assert!(
        out.contains("philipp → david → taras → beatrix every 1w"),
        "{out}"
    );

    let text = std::fs::read_to_string(s.config()).unwrap();
    let broken = text.replace("timezone = \"Europe/Kyiv\"", "timezone = \"Europe/Kiev2\"");
    std::fs::write(s.config(), &broken).unwrap();
    let line = broken
        .lines()
        .position(|l| l.contains("Europe/Kiev2"))
        .unwrap()
        + 1;
    let config = s.config().display().to_string();
    for command in [&["config", "check"][..], &["who"], &["schedule"]] {
        let err = s.fails(command);
        assert!(err.contains(&format!("{config}:{line}:12: teams[integrations].members[taras].timezone: unknown time zone \"Europe/Kiev2\"")), "{err}");
    }
}

/// Sends a plain HTTP/1.1 GET and returns the status line and body.
fn http_get(addr: &str, path: &str, token: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn the_demo_serves_the_handbook_team_with_history() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["demo", "--listen", "127.0.0.1:0", "--demo-database"])
        .arg(dir.path().join("demo.db"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    let (mut addr, mut token) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push_str(&line);
        printed.push('\n');
        if let Some(rest) = line.strip_prefix("baton is serving the demo on http://") {
            addr = rest.trim().to_owned();
        }
        if let Some(rest) = line.strip_prefix("Admin token (shown once): ") {
            token = rest.trim().to_owned();
            break;
        }
    }
    let result = std::panic::catch_unwind(|| {
        assert!(printed.contains("Sep 26–Oct 3   Philipp"), "{printed}");
        assert!(printed.contains("is on duty from"), "{printed}");
        assert!(printed.contains("override #1"), "{printed}");
        assert!(printed.contains("swap #1"), "{printed}");
        assert!(printed.contains("Suggested cover:"), "{printed}");
        assert!(printed.contains("The open queue:"), "{printed}");
        assert!(!addr.is_empty() && token.starts_with("baton_"), "{printed}");
        let (status, body) = http_get(&addr, "/api/v1/teams/integrations/queue", &token);
        assert!(status.contains("200"), "{status} {body}");
        let queue: Value = serde_json::from_str(&body).unwrap();
        let states: std::collections::HashSet<_> = queue
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["state"].as_str().unwrap().to_owned())
            .collect();
        for state in ["new", "acknowledged", "in_progress", "waiting", "routed"] {
            assert!(
                states.contains(state),
                "no {state} inquiry in the demo queue: {states:?}"
            );
        }
        assert!(queue
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["first_response"] == "breached"));
        let (_, body) = http_get(
            &addr,
            "/api/v1/teams/integrations/inquiries?state=resolved&limit=1000",
            &token,
        );
        let resolved: Value = serde_json::from_str(&body).unwrap();
        assert!(
            resolved.as_array().unwrap().len() > 30,
            "weeks of history: {body}"
        );
    });
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn inquiries_from_the_terminal() {
    let s = Sandbox::migrated();
    // Wednesday 16:00 in Berlin is 10:00 in New York: David's week, in his working hours.
    let created = s.json(&[
        "inquiry",
        "add",
        "--title",
        "JetBrains plugin crashes on startup",
        "--source",
        "#integrations",
        "--priority",
        "high",
        "--received-at",
        "2022-10-05T16:00",
        "--format",
        "json",
    ]);
    assert_eq!(created["id"], 1);
    assert_eq!(created["assignee"], "david");
    assert_eq!(created["state"], "new");
    // 4 working hours of David's from 10:00 New York: 14:00 New York, 18:00 UTC.
    assert_eq!(created["first_response_due"], "2022-10-05T18:00:00Z");
    assert_eq!(created["first_response"], "breached");

    let out = s.ok(&["inquiry", "ack", "1"]);
    assert!(out.starts_with("inquiry #1: acknowledged"), "{out}");
    assert!(out.contains("acknowledged · responsible: David"), "{out}");
    s.ok(&["inquiry", "start", "1"]);
    let out = s.ok(&[
        "inquiry",
        "time",
        "1",
        "--minutes",
        "150",
        "--note",
        "reproduced",
    ]);
    assert!(out.contains("should become a GitHub issue"), "{out}");
    let err = s.fails(&["inquiry", "ack", "1"]);
    assert!(
        err.contains("cannot acknowledge an inquiry that is in_progress"),
        "{err}"
    );
    s.ok(&[
        "inquiry",
        "escalate",
        "1",
        "--issue",
        "https://github.com/sourcegraph/sourcegraph/issues/42424",
        "--assignee",
        "beatrix",
    ]);
    s.ok(&[
        "inquiry",
        "note",
        "1",
        "Beatrix takes it over in the JB sprint",
    ]);

    let detail = s.json(&["inquiry", "show", "1", "--format", "json"]);
    assert_eq!(detail["state"], "escalated");
    assert_eq!(detail["assignee"], "beatrix");
    assert_eq!(detail["should_escalate"], false);
    assert_eq!(detail["logged_minutes"], 150);
    assert_eq!(detail["first_response"], "missed");
    let kinds: Vec<_> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "inquiry.created",
            "inquiry.acknowledged",
            "inquiry.started",
            "inquiry.time_logged",
            "inquiry.escalated",
            "note.added"
        ]
    );
    assert_eq!(detail["events"][1]["actor"], "tester");
    assert_eq!(
        detail["notes"][0]["text"],
        "Beatrix takes it over in the JB sprint"
    );
    let show = s.ok(&["inquiry", "show", "1"]);
    assert!(
        show.contains("issue: https://github.com/sourcegraph/sourcegraph/issues/42424"),
        "{show}"
    );

    let err = s.fails(&["inquiry", "add", "--title", "x", "--source", "#nowhere"]);
    assert!(
        err.contains("\"#nowhere\" is not a source of team integrations"),
        "{err}"
    );
    let err = s.fails(&["inquiry", "show", "99"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn the_queue_lists_open_inquiries_by_deadline() {
    let s = Sandbox::migrated();
    for (title, priority) in [
        ("low one", "low"),
        ("critical one", "critical"),
        ("medium one", "medium"),
    ] {
        s.ok(&[
            "inquiry",
            "add",
            "--title",
            title,
            "--priority",
            priority,
            "--received-at",
            "2022-10-05T16:00",
        ]);
    }
    s.ok(&["inquiry", "resolve", "3"]);
    let queue = s.json(&["queue", "--format", "json"]);
    let titles: Vec<_> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["critical one", "low one"]);
    let table = s.ok(&["queue"]);
    assert!(table.contains("critical  new    David"), "{table}");
    let listed = s.json(&["inquiry", "list", "--state", "resolved", "--format", "json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["title"], "medium one");
}

#[test]
fn checks_budget_and_tokens() {
    let s = Sandbox::migrated();
    let out = s.ok(&["check", "#integrations", "--member", "taras"]);
    assert!(out.starts_with("#integrations checked by Taras"), "{out}");
    let list = s.json(&["checks", "--format", "json"]);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 9);
    assert_eq!(items[0]["source"], "#integrations");
    assert_eq!(items[0]["checked_by"], "taras");
    assert!(items[1]["checked_at"].is_null());
    let err = s.fails(&["check", "#random"]);
    assert!(err.contains("\"#random\" is not a source"), "{err}");

    let out = s.ok(&[
        "handoff",
        "note",
        "The GoLand proxy bug needs a customer call on Monday",
    ]);
    assert!(out.starts_with("note #1 added to the hand-off"), "{out}");
    let notes = s.json(&["handoff", "list", "--format", "json"]);
    assert_eq!(
        notes[0]["text"],
        "The GoLand proxy bug needs a customer call on Monday"
    );
    assert_eq!(notes[0]["author"], "tester");

    let budget = s.json(&["budget", "--format", "json"]);
    assert_eq!(budget["budget_fraction"], 0.1);
    assert_eq!(budget["logged_minutes"], 0);

    let out = s.run(&["token", "create", "--name", "ci", "--role", "member"]);
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap();
    assert!(secret.trim().starts_with("baton_"), "{secret}");
    let tokens = s.json(&["token", "list", "--format", "json"]);
    assert_eq!(tokens[0]["name"], "ci");
    assert_eq!(tokens[0]["role"], "member");
    assert!(
        !tokens.to_string().contains(secret.trim()),
        "the secret is never listed"
    );
    s.ok(&["token", "revoke", "1"]);
    let err = s.fails(&["token", "create", "--name", "x", "--role", "root"]);
    assert!(err.contains("unknown role"), "{err}");
}

/// Runs `baton --config <sandbox>/baton.toml ARGS` with `input` on standard input.
fn run_with_stdin(s: &Sandbox, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("--config")
        .arg(s.config())
        .args(args)
        .env_remove("BATON_DATABASE_URL")
        .env_remove("BATON_CONFIG")
        .env("USER", "tester")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The secret of a printed sign-in link `<base>/login/link/<secret>`, checked for shape.
fn link_secret(link: &str, base: &str) -> String {
    let secret = link
        .trim()
        .strip_prefix(&format!("{base}/login/link/"))
        .unwrap_or_else(|| panic!("not a sign-in link on {base}: {link:?}"));
    assert_eq!(secret.len(), 64, "{link}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()), "{link}");
    secret.to_owned()
}

#[test]
fn user_accounts_from_the_terminal() {
    let s = Sandbox::migrated();
    // Without a password: a one-time link on the config's public URL, and only that on stdout.
    let link = s.ok(&[
        "user",
        "add",
        "--email",
        "Ana@Example.com",
        "--role",
        "member",
    ]);
    link_secret(&link, "http://127.0.0.1:8080");

    // With a password from stdin: no link.
    let out = run_with_stdin(
        &s,
        &[
            "user",
            "add",
            "--email",
            "pw@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Mistakes are named.
    let short = run_with_stdin(
        &s,
        &[
            "user",
            "add",
            "--email",
            "short@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(
        err.contains("--password-stdin: the password has 5 characters; it needs at least 10"),
        "{err}"
    );
    let err = s.fails(&[
        "user",
        "add",
        "--email",
        "ANA@example.com",
        "--role",
        "viewer",
    ]);
    assert!(
        err.contains("--email ANA@example.com: an account with the email"),
        "{err}"
    );
    assert!(err.contains("already exists"), "{err}");
    let err = s.fails(&["user", "add", "--email", "x@example.com", "--role", "root"]);
    assert!(err.contains("role: unknown role \"root\""), "{err}");
    let err = s.fails(&["user", "add", "--email", "not-an-email", "--role", "viewer"]);
    assert!(
        err.contains("\"not-an-email\" is not an email address"),
        "{err}"
    );
    let err = s.fails(&["user", "link", "--email", "nobody@example.com"]);
    assert!(
        err.contains("--email: no account has the email \"nobody@example.com\""),
        "{err}"
    );
    let err = s.fails(&[
        "user",
        "link",
        "--email",
        "pw@example.com",
        "--base-url",
        "ftp://x",
    ]);
    assert!(
        err.contains("--base-url: \"ftp://x\" is not an http:// or https:// address"),
        "{err}"
    );

    let users = s.json(&["user", "list", "--format", "json"]);
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["email"], "Ana@Example.com");
    assert_eq!(users[0]["role"], "member");
    assert_eq!(users[0]["created_by"], "tester");
    assert_eq!(users[1]["role"], "admin");
    assert!(users.iter().all(|u| u.get("password_hash").is_none()));
    let table = s.ok(&["user", "list"]);
    assert!(
        table.contains("Ana@Example.com") && table.contains("link only"),
        "{table}"
    );
    assert!(
        table.contains("pw@example.com") && table.contains("password"),
        "{table}"
    );

    let out = s.ok(&["user", "role", "--email", "ana@EXAMPLE.com", "admin"]);
    assert!(
        out.contains("Ana@Example.com is now an admin (was a member)"),
        "{out}"
    );
    let out = s.ok(&["user", "role", "--email", "ana@example.com", "admin"]);
    assert!(out.contains("is already an admin"), "{out}");

    let link = s.ok(&[
        "user",
        "link",
        "--email",
        "pw@example.com",
        "--base-url",
        "https://baton.example.com/",
    ]);
    link_secret(&link, "https://baton.example.com");

    // A password for the link-only account, from stdin only.
    let password = |stdin: &str| {
        run_with_stdin(
            &s,
            &[
                "user",
                "password",
                "--email",
                "ana@example.com",
                "--password-stdin",
            ],
            stdin,
        )
    };
    let short = password("short\n");
    assert!(!short.status.success());
    let err = String::from_utf8_lossy(&short.stderr);
    assert!(err.contains("it needs at least 10"), "{err}");
    let set = password("a new long password\n");
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let out = String::from_utf8_lossy(&set.stdout);
    assert!(out.contains("Ana@Example.com has a new password"), "{out}");
    let table = s.ok(&["user", "list"]);
    assert!(!table.contains("link only"), "{table}");
    let err = s.fails(&["user", "password", "--email", "ana@example.com"]);
    assert!(err.contains("--password-stdin"), "{err}");

    let out = s.ok(&["user", "disable", "--email", "ana@example.com"]);
    assert!(out.contains("Ana@Example.com is disabled"), "{out}");
    let err = String::from_utf8_lossy(&password("a new long password\n").stderr).into_owned();
    assert!(err.contains("is disabled"), "{err}");
    let out = s.ok(&["user", "enable", "--email", "ana@example.com"]);
    assert!(
        out.contains("Ana@Example.com is enabled again (an admin)"),
        "{out}"
    );
    let out = s.ok(&["user", "enable", "--email", "ana@example.com"]);
    assert!(out.contains("is already enabled"), "{out}");
    link_secret(
        &s.ok(&["user", "link", "--email", "ana@example.com"]),
        "http://127.0.0.1:8080",
    );
    let out = s.ok(&["user", "disable", "--email", "ana@example.com"]);
    assert!(out.contains("Ana@Example.com is disabled"), "{out}");
    let err = s.fails(&["user", "link", "--email", "ana@example.com"]);
    assert!(err.contains("is disabled"), "{err}");
    let users = s.json(&["user", "list", "--format", "json"]);
    assert!(users[0]["disabled_at"].is_string(), "{users}");
}

/// Sends a plain HTTP/1.1 GET without credentials; returns the whole head and the body.
fn http_get_plain(addr: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.to_owned(), body.to_owned())
}

/// Uses the sign-in link at `path` as a browser does: opens its page, which must leave the
/// link unused (no session), then sends its form with the page's token and cookie; returns the
/// head and body of the form's answer.
fn http_use_link(addr: &str, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let (head, body) = http_get_plain(addr, path);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("set-cookie: baton_session="),
        "opening the link signed in: {head}"
    );
    let cookie = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie").then(|| {
                value
                    .trim()
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
        })
        .unwrap_or_else(|| panic!("no form cookie: {head}"));
    let marker = r#"name="csrf" value=""#;
    let start = body
        .find(marker)
        .unwrap_or_else(|| panic!("no form token: {body}"))
        + marker.len();
    let token = &body[start..start + body[start..].find('"').unwrap()];
    let form = format!("csrf={token}");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (head.to_owned(), body.to_owned())
}

/// Starts `baton demo` on a free port over `db`; returns the process, its address and the
/// printed sign-in link's path.
fn start_demo(db: &Path) -> (std::process::Child, String, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["demo", "--listen", "127.0.0.1:0", "--demo-database"])
        .arg(db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut link) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("baton is serving the demo on http://") {
            addr = rest.trim().to_owned();
        }
        if let Some(rest) = line.strip_prefix("Open this link to sign in: ") {
            link = rest.trim().to_owned();
            break;
        }
    }
    // Keep reading, so that the demo's later output does not meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let path = link
        .strip_prefix(&format!("http://{addr}"))
        .unwrap_or_else(|| panic!("no sign-in link on http://{addr}: {link:?}"))
        .to_owned();
    (child, addr, path)
}

#[test]
fn the_demo_prints_a_fresh_sign_in_link_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let mut first_path = String::new();
    for run in 0..2 {
        let (mut child, addr, path) = start_demo(&db);
        let result = std::panic::catch_unwind(|| {
            assert!(path.starts_with("/login/link/"), "{path}");
            let (head, body) = http_use_link(&addr, &path);
            assert!(
                head.starts_with("HTTP/1.1 303"),
                "run {run}: {head}\n{body}"
            );
            assert!(
                head.to_ascii_lowercase().contains("location: /\r\n"),
                "{head}"
            );
            let cookie = head
                .lines()
                .find(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("set-cookie: baton_session=")
                })
                .unwrap_or_else(|| panic!("no session cookie: {head}"));
            assert!(
                cookie.contains("HttpOnly") && cookie.contains("Secure"),
                "{cookie}"
            );
            // The link works once.
            let (again, body) = http_use_link(&addr, &path);
            assert!(again.starts_with("HTTP/1.1 410"), "{again}");
            assert!(body.contains("already been used"), "{body}");
        });
        child.kill().unwrap();
        child.wait().unwrap();
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
        assert_ne!(path, first_path, "a fresh link each run");
        first_path = path;
    }
}
