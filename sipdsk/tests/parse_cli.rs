//! `sipdsk parse` end to end: exit codes, JSON fields, error objects.

use std::process::{Command, Output};

use serde_json::Value;

fn corpus(name: &str) -> String {
    format!("{}/../../shared/corpus/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipdsk"))
        .args(args)
        .output()
        .expect("run sipdsk")
}

fn json(args: &[&str]) -> (i32, Value) {
    let out = run(args);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

#[test]
fn json_of_a_tortuous_invite() {
    let (code, v) = json(&["parse", "--json", &corpus("rfc4475/wsinv.dat")]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "request");
    assert_eq!(v["method"], "INVITE");
    assert_eq!(v["uri"], "sip:vivekg@chair-dnrc.example.com;unknownparam");
    assert_eq!(v["status"], Value::Null);
    assert_eq!(v["version"], "SIP/2.0");
    assert_eq!(v["cseq"]["seq"], 9);
    assert_eq!(v["from"]["tag"], "98asjd8");
    assert_eq!(v["to"]["tag"], "1918181833n");
    assert_eq!(v["via"].as_array().unwrap().len(), 3);
    assert_eq!(v["via"][1]["transport"], "TCP");
    assert_eq!(v["via"][2]["branch"], "z9hG4bK30239");
    assert_eq!(v["contact"][0]["q"], "0.33");
    assert_eq!(v["max_forwards"], 68);
    assert_eq!(v["content_length"], 150);
    assert_eq!(v["content_type"], "application/sdp");
    assert_eq!(v["body_len"], 150);
    let headers = v["headers"].as_array().unwrap();
    assert_eq!(headers.len(), 14);
    assert_eq!(headers[0]["name"], "TO");
    assert_eq!(
        headers[8]["value"],
        "newfangled value continued newfangled value"
    );
}

#[test]
fn json_of_a_response() {
    let (code, v) = json(&["parse", "--json", &corpus("rfc4475/noreason.dat")]);
    assert_eq!(code, 0);
    assert_eq!(
        (
            v["kind"].as_str(),
            v["status"].as_u64(),
            v["reason"].as_str()
        ),
        (Some("response"), Some(100), Some(""))
    );
    assert_eq!(v["method"], Value::Null);
}

#[test]
fn invalid_input_exits_1_with_an_error_object() {
    let (code, v) = json(&["parse", "--json", &corpus("rfc4475/badvers.dat")]);
    assert_eq!(code, 1);
    assert_eq!(v["error"]["kind"], "unsupported_version");
    assert!(v["error"]["offset"].as_u64().is_some());
    let out = run(&["parse", &corpus("rfc4475/badvers.dat")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported sip version"));
}

#[test]
fn lenient_flag_relaxes() {
    assert_eq!(
        json(&["parse", "--json", &corpus("rfc4475/lwsstart.dat")]).0,
        1
    );
    let (code, v) = json(&[
        "parse",
        "--json",
        "--lenient",
        &corpus("rfc4475/lwsstart.dat"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["uri"], "sip:user@example.com");
}

#[test]
fn summary_and_stdin() {
    let data = std::fs::read(corpus("rfc4475/esc02.dat")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipdsk"))
        .args(["parse", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("request  RE%47IST%45R sip:registrar.example.com SIP/2.0"),
        "{text}"
    );
    assert!(text.contains("C%6Fntact: <sip:alias2@host2.example.com>"));
}
