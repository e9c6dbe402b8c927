//! docs/imagekit.md lists every ImageKit transformation parameter with an example URL and
//! what xformd does with it (issue #15). Each row is a test case here: the example is sent to
//! the real front end and daemon on 127.0.0.1 and must get what the row's status says, so the
//! table cannot drift from the code.
//!
//! Statuses: `renders` (200 with an image, or a video for a video source, which is then probed
//! with FFmpeg and must have a picture and a duration), `400 unsupported`
//! (HTTP 400, code `unsupported`, the key named), `400 generative` (the same, with a message
//! saying a generative model is needed), `400 invalid` (HTTP 400, code `invalid_argument`),
//! `404` (the example names a missing file or transformation on purpose).

use reqwest::StatusCode;

use crate::common::{config, media_dir, start_server};

/// One row: parameter, example URL path, status.
struct Row {
    param: String,
    path: String,
    status: String,
}

/// The rows between the table markers of docs/imagekit.md.
fn rows() -> Vec<Row> {
    let doc =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/imagekit.md")).unwrap();
    let (a, b) = (doc.find("<!-- params:begin -->").unwrap(), doc.find("<!-- params:end -->").unwrap());
    doc[a..b]
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`/tr:"))
        .map(|l| {
            let cells: Vec<&str> =
                l.split(" | ").map(|c| c.trim_matches(|c: char| c == '|' || c.is_whitespace())).collect();
            Row {
                param: cells[0].to_string(),
                path: cells[1].trim_matches('`').to_string(),
                status: cells[2].to_string(),
            }
        })
        .collect()
}

/// True when a video body probes as a video with a picture and a duration.
#[cfg(feature = "video")]
fn plays(body: &[u8], ctype: &str) -> bool {
    use xformd::video::{ProcessBackend, VideoBackend};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(if ctype.ends_with("webm") { "v.webm" } else { "v.mp4" });
    std::fs::write(&path, body).unwrap();
    let backend =
        ProcessBackend::with_helper(env!("CARGO_BIN_EXE_xformd-ffmpeg").into(), xformd::limits::Limits::default());
    backend.probe(&path).is_ok_and(|i| i.width > 0 && i.height > 0 && i.duration_secs > 0.0)
}

#[cfg(not(feature = "video"))]
fn plays(_: &[u8], _: &str) -> bool {
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_imagekit_table_does_what_it_says() {
    let rows = rows();
    assert!(rows.len() >= 80, "the table lost rows: {}", rows.len());
    let mut c = config(media_dir());
    c.backend.gpu = false;
    let s = start_server(c).await;
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for row in &rows {
        if row.path.contains("/video/") && !cfg!(feature = "video") {
            continue;
        }
        let r = client.get(s.url(&row.path)).send().await.unwrap();
        let status = r.status();
        let ctype = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let body = r.bytes().await.unwrap();
        let json = || serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
        let ok = match row.status.as_str() {
            "renders" => {
                status == StatusCode::OK
                    && (ctype.starts_with("image/") || (ctype.starts_with("video/") && plays(&body, &ctype)))
            }
            "400 unsupported" => status == StatusCode::BAD_REQUEST && json()["code"] == "unsupported",
            "400 generative" => {
                let j = json();
                status == StatusCode::BAD_REQUEST
                    && j["code"] == "unsupported"
                    && j["message"].as_str().is_some_and(|m| m.contains("generative"))
            }
            "400 invalid" => status == StatusCode::BAD_REQUEST && json()["code"] == "invalid_argument",
            "404" => status == StatusCode::NOT_FOUND,
            other => panic!("{}: unknown status '{other}' in docs/imagekit.md", row.param),
        };
        if !ok {
            failures.push(format!(
                "{} ({}): table says {}, got {status} {ctype} {}",
                row.param,
                row.path,
                row.status,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
    }
    assert!(failures.is_empty(), "{} rows disagree:\n{}", failures.len(), failures.join("\n"));
}
