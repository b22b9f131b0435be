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

#[test]
fn the_demo_shows_the_handbook_and_the_coming_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["demo", "--demo-database"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Sep 26–Oct 3   Philipp"), "{stdout}");
    assert!(stdout.contains("is on duty from"), "{stdout}");
    assert!(stdout.contains("override #1"), "{stdout}");
    assert!(stdout.contains("swap #1"), "{stdout}");
    assert!(stdout.contains("Suggested cover:"), "{stdout}");
}
