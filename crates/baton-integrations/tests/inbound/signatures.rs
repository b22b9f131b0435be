//! Signatures and tokens. Expected signatures come from the senders' documented examples or are
//! computed here with the `hmac` crate directly, never with the functions under test.

use baton_integrations::slack::SignatureHeaders;
use baton_integrations::{alerts, github, slack, VerifyError};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::fixture;

fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn secs(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap()
}

// Slack's example in "Verifying requests from Slack".
const SLACK_DOC_SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
const SLACK_DOC_TS: &str = "1531420618";
const SLACK_DOC_BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SLACK_DOC_SIGNATURE: &str =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

fn headers<'a>(timestamp: &'a str, signature: &'a str) -> SignatureHeaders<'a> {
    SignatureHeaders {
        timestamp: Some(timestamp),
        signature: Some(signature),
    }
}

#[test]
fn slack_documented_example_verifies() {
    let now = secs(1531420618 + 42);
    assert_eq!(
        slack::verify(
            SLACK_DOC_SECRET,
            headers(SLACK_DOC_TS, SLACK_DOC_SIGNATURE),
            SLACK_DOC_BODY,
            now
        ),
        Ok(())
    );
    assert_eq!(
        slack::sign(SLACK_DOC_SECRET, 1531420618, SLACK_DOC_BODY),
        SLACK_DOC_SIGNATURE
    );
    // The documented body is a slash command form: it parses.
    let cmd = slack::parse_command(SLACK_DOC_BODY).unwrap();
    assert_eq!(cmd.command, "/webhook-collect");
    assert_eq!(cmd.user_name, "roadrunner");
}

#[test]
fn slack_fixture_signed_independently() {
    let secret = b"baton-test-signing-secret";
    let body = fixture("slack/message_channel.json");
    let ts = "1664874850";
    let mut base = format!("v0:{ts}:").into_bytes();
    base.extend_from_slice(&body);
    let signature = format!("v0={}", hmac_hex(secret, &base));
    let now = secs(1664874850);

    assert_eq!(
        slack::verify(secret, headers(ts, &signature), &body, now),
        Ok(())
    );
    // Uppercase hex is the same digest.
    assert_eq!(
        slack::verify(
            secret,
            headers(ts, &signature.to_uppercase().replace("V0=", "v0=")),
            &body,
            now
        ),
        Ok(())
    );

    let mut tampered = body.clone();
    tampered[100] ^= 1;
    assert_eq!(
        slack::verify(secret, headers(ts, &signature), &tampered, now),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        slack::verify(b"another-secret", headers(ts, &signature), &body, now),
        Err(VerifyError::Mismatch)
    );
    assert_eq!(
        slack::verify(secret, headers("1664874851", &signature), &body, now),
        Err(VerifyError::Mismatch),
        "the timestamp is part of what is signed"
    );
    let mut flipped = signature.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        slack::verify(
            secret,
            headers(ts, std::str::from_utf8(&flipped).unwrap()),
            &body,
            now
        ),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn slack_refuses_stale_and_future_timestamps() {
    let secret = b"s";
    let body = b"{}";
    let ts = 1664874850;
    let signature = slack::sign(secret, ts, body);
    let check = |now: i64| {
        slack::verify(
            secret,
            headers(&ts.to_string(), &signature),
            body,
            secs(now),
        )
    };

    assert_eq!(
        check(ts + 300),
        Ok(()),
        "exactly five minutes old is accepted"
    );
    assert_eq!(
        check(ts - 300),
        Ok(()),
        "exactly five minutes ahead is accepted"
    );
    assert_eq!(
        check(ts + 301),
        Err(VerifyError::Stale { age_seconds: 301 })
    );
    assert_eq!(
        check(ts - 301),
        Err(VerifyError::Stale { age_seconds: -301 })
    );
    assert_eq!(
        check(ts + 86_400 * 365),
        Err(VerifyError::Stale {
            age_seconds: 86_400 * 365
        })
    );
    assert_eq!(
        VerifyError::Stale { age_seconds: 301 }.to_string(),
        "request timestamp is 301s old"
    );
    assert_eq!(
        VerifyError::Stale { age_seconds: -301 }.to_string(),
        "request timestamp is 301s in the future"
    );
}

#[test]
fn slack_refuses_missing_and_malformed_headers() {
    let secret = b"s";
    let body = b"{}";
    let now = secs(1664874850);
    let good = slack::sign(secret, 1664874850, body);
    let verify = |timestamp: Option<&str>, signature: Option<&str>| {
        slack::verify(
            secret,
            SignatureHeaders {
                timestamp,
                signature,
            },
            body,
            now,
        )
    };
    assert_eq!(
        verify(None, Some(&good)),
        Err(VerifyError::Missing("X-Slack-Request-Timestamp"))
    );
    assert_eq!(
        verify(Some("1664874850"), None),
        Err(VerifyError::Missing("X-Slack-Signature"))
    );
    for ts in [
        "",
        "abc",
        "-1664874850",
        "+1664874850",
        " 1664874850",
        "1664874850.5",
        "99999999999999999999",
    ] {
        assert_eq!(
            verify(Some(ts), Some(&good)),
            Err(VerifyError::Malformed {
                what: "X-Slack-Request-Timestamp",
                reason: "not a Unix time in seconds"
            }),
            "{ts:?}"
        );
    }
    let hex = good.strip_prefix("v0=").unwrap();
    for (signature, reason) in [
        (format!("v1={hex}"), "expected v0=<hex>"),
        (hex.to_owned(), "expected v0=<hex>"),
        (format!("V0={hex}"), "expected v0=<hex>"),
        (format!("v0={}", &hex[..62]), "not 64 hexadecimal digits"),
        (format!("v0={hex}00"), "not 64 hexadecimal digits"),
        (format!("v0={}zz", &hex[..62]), "not 64 hexadecimal digits"),
        ("v0=".to_owned(), "not 64 hexadecimal digits"),
    ] {
        assert_eq!(
            verify(Some("1664874850"), Some(&signature)),
            Err(VerifyError::Malformed {
                what: "X-Slack-Signature",
                reason
            }),
            "{signature:?}"
        );
    }
    assert_eq!(
        slack::verify(b"", headers("1664874850", &good), body, now),
        Err(VerifyError::Unconfigured)
    );
}

// GitHub's example in "Validating webhook deliveries".
#[test]
fn github_documented_example_verifies() {
    let secret = b"It's a Secret to Everybody";
    let body = b"Hello, World!";
    let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assert_eq!(github::verify(secret, Some(expected), body), Ok(()));
    assert_eq!(github::sign(secret, body), expected);
    assert_eq!(
        github::verify(secret, Some(expected), b"Hello, World?"),
        Err(VerifyError::Mismatch)
    );
}

#[test]
fn github_fixtures_signed_independently() {
    let secret = b"baton-test-webhook-secret";
    for name in [
        "github/issues_opened.json",
        "github/issue_comment_created_team_mention.json",
        "github/pull_request_review_requested_team.json",
        "github/ping.json",
    ] {
        let body = fixture(name);
        let signature = format!("sha256={}", hmac_hex(secret, &body));
        assert_eq!(
            github::verify(secret, Some(&signature), &body),
            Ok(()),
            "{name}"
        );
        assert_eq!(
            github::verify(b"wrong secret", Some(&signature), &body),
            Err(VerifyError::Mismatch),
            "{name}"
        );
        let mut tampered = body.clone();
        tampered.push(b'\n');
        assert_eq!(
            github::verify(secret, Some(&signature), &tampered),
            Err(VerifyError::Mismatch),
            "{name}"
        );
    }
}

#[test]
fn github_refuses_missing_and_malformed_headers() {
    let secret = b"s";
    let body = b"{}";
    let good = github::sign(secret, body);
    let hex = good.strip_prefix("sha256=").unwrap();
    assert_eq!(
        github::verify(secret, None, body),
        Err(VerifyError::Missing("X-Hub-Signature-256"))
    );
    for signature in [
        format!("sha1={hex}"),
        hex.to_owned(),
        format!("sha256:{hex}"),
        format!(" sha256={hex}"),
    ] {
        assert_eq!(
            github::verify(secret, Some(&signature), body),
            Err(VerifyError::Malformed {
                what: "X-Hub-Signature-256",
                reason: "expected sha256=<hex>"
            }),
            "{signature:?}"
        );
    }
    for signature in [
        "sha256=".to_owned(),
        format!("sha256={}", &hex[..40]),
        format!("sha256={}gg", &hex[..62]),
    ] {
        assert_eq!(
            github::verify(secret, Some(&signature), body),
            Err(VerifyError::Malformed {
                what: "X-Hub-Signature-256",
                reason: "not 64 hexadecimal digits"
            }),
            "{signature:?}"
        );
    }
    assert_eq!(
        github::verify(b"", Some(&good), body),
        Err(VerifyError::Unconfigured)
    );
}

#[test]
fn alert_tokens() {
    assert_eq!(
        alerts::verify_token("alert-token-1", Some("alert-token-1")),
        Ok(())
    );
    for wrong in [
        "alert-token-2",
        "alert-token-1 ",
        "alert-token",
        "",
        "ALERT-TOKEN-1",
    ] {
        assert_eq!(
            alerts::verify_token("alert-token-1", Some(wrong)),
            Err(VerifyError::Mismatch),
            "{wrong:?}"
        );
    }
    assert_eq!(
        alerts::verify_token("alert-token-1", None),
        Err(VerifyError::Missing("token"))
    );
    assert_eq!(
        alerts::verify_token("", Some("")),
        Err(VerifyError::Unconfigured)
    );
}

#[test]
fn error_codes_for_logs() {
    assert_eq!(VerifyError::Unconfigured.code(), "unconfigured");
    assert_eq!(VerifyError::Missing("x").code(), "missing");
    assert_eq!(
        VerifyError::Malformed {
            what: "x",
            reason: "y"
        }
        .code(),
        "malformed"
    );
    assert_eq!(VerifyError::Stale { age_seconds: 1 }.code(), "stale");
    assert_eq!(VerifyError::Mismatch.code(), "mismatch");
    assert_eq!(
        VerifyError::Malformed {
            what: "X-Slack-Signature",
            reason: "expected v0=<hex>"
        }
        .to_string(),
        "malformed X-Slack-Signature: expected v0=<hex>"
    );
}
