//! End-to-end tests: HTTP front end → gRPC → daemon → CPU or GPU backend → HTTP response.

use reqwest::StatusCode;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::common::{config, decode, media_dir, start_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_form_resizes_to_exact_size() {
    let s = start_server(config(media_dir())).await;
    let resp = reqwest::get(s.url("/tr:w-300,h-200/photos/LadyBird.jpg")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert!(resp.headers().contains_key("etag"));
    let backend = resp.headers()["x-xformd-backend"].to_str().unwrap().to_string();
    assert!(backend == "cpu" || backend == "gpu");
    let f = decode(&resp.bytes().await.unwrap());
    assert_eq!((f.width, f.height), (300, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_form_keeps_aspect_ratio() {
    let s = start_server(config(media_dir())).await;
    let resp = reqwest::get(s.url("/photos/LadyBird.jpg?tr=w-300")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let f = decode(&resp.bytes().await.unwrap());
    // 2560×1600 → 300 × round(1600·300/2560) = 300×188.
    assert_eq!((f.width, f.height), (300, 188));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_revalidates_with_304() {
    let s = start_server(config(media_dir())).await;
    let url = s.url("/tr:w-120/photos/coffee.png");
    let first = reqwest::get(&url).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()["etag"].clone();
    let again = reqwest::Client::new().get(&url).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

async fn error_json(resp: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = resp.status();
    assert_eq!(resp.headers()["content-type"], "application/json");
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parameter_is_400_naming_key_and_value() {
    let s = start_server(config(media_dir())).await;
    let (status, body) = error_json(reqwest::get(s.url("/tr:zz-9/photos/LadyBird.jpg")).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["key"], "zz");
    assert_eq!(body["value"], "9");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_value_is_400_naming_key_and_value() {
    let s = start_server(config(media_dir())).await;
    let (status, body) = error_json(reqwest::get(s.url("/tr:w-abc/photos/LadyBird.jpg")).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["key"], "w");
    assert_eq!(body["value"], "abc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_file_is_404() {
    let s = start_server(config(media_dir())).await;
    let (status, body) = error_json(reqwest::get(s.url("/tr:w-100/photos/nope.jpg")).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escaping_the_media_folder_is_400_never_the_file() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start_server(config(media_dir().join("photos"))).await;
    // The target exists (media/SOURCES.md) one level above the served folder. HTTP clients
    // normalise `..` away, so the request line is written by hand.
    for path in [
        "/../SOURCES.md",
        "/%2e%2e/SOURCES.md",
        "/tr:w-10/..%2fSOURCES.md",
        "/x/%2E%2E/%2E%2E/SOURCES.md",
        "/..\\SOURCES.md",
    ] {
        let mut tcp = tokio::net::TcpStream::connect(s.http).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        tcp.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tcp.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 400"), "{path}: {text}");
        assert!(!text.contains("Bundled sample media"), "{path} leaked the file");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_serving() {
    let s = start_server(config(media_dir())).await;
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{}", s.grpc)).unwrap().connect().await.unwrap();
    let resp =
        HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
    assert_eq!(resp.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_backend_can_be_forced_per_request() {
    let s = start_server(config(media_dir())).await;
    let resp = reqwest::Client::new()
        .get(s.url("/tr:w-200/photos/LadyBird.jpg"))
        .header("x-xformd-backend", "cpu")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-xformd-backend"], "cpu");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudinary_urls_are_served_through_the_rewriter() {
    let mut c = config(media_dir());
    c.frontend.cloud_name = "demo".into();
    let s = start_server(c).await;
    for path in [
        "/image/upload/w_300,h_200,c_fill,g_north/v123/photos/LadyBird.jpg",
        "/demo/image/upload/w_300,h_200,c_fill/photos/LadyBird.jpg",
    ] {
        let resp = reqwest::get(s.url(&format!("{path}?debug"))).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(resp.headers()["x-xformd-tr"].to_str().unwrap().starts_with("w-300,h-200,c-maintain_ratio"));
        let f = decode(&resp.bytes().await.unwrap());
        assert_eq!((f.width, f.height), (300, 200), "{path}");
    }
    // An untranslatable item is dropped, recorded, and the rest still applies.
    let resp = reqwest::get(s.url("/image/upload/w_100,o_50/photos/LadyBird.jpg?debug")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["x-xformd-dropped"].to_str().unwrap().contains("o_50"));
    assert_eq!(decode(&resp.bytes().await.unwrap()).width, 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn translate_rpc_returns_string_path_and_dropped() {
    use xformd::service::proto::transformer_client::TransformerClient;
    use xformd::service::proto::TranslateRequest;
    let s = start_server(config(media_dir())).await;
    let mut client = TransformerClient::connect(format!("http://{}", s.grpc)).await.unwrap();
    let r = client
        .translate(TranslateRequest { path: "/image/upload/w_300,o_50/v1/a.jpg".into(), keep_types: true })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.tr, "w-300");
    assert_eq!(r.path, "/image/upload/a.jpg");
    assert!(r.rewritable);
    assert_eq!((r.dropped[0].key.as_str(), r.dropped[0].value.as_str()), ("o", "50"));
}

#[test]
fn jobs_survive_the_wire_unchanged() {
    use xformd::service::convert::{job_from_proto, job_to_proto};
    use xformd::url::imagekit::{parse, ParseOptions};
    let named = |_: &str| None;
    let opts = ParseOptions { named: &named };
    for url in [
        "/tr:w-300,h-200,c-at_max,fo-top_left,q-70,f-webp/photos/a.jpg",
        "/tr:w-iw_div_2,ar-4-3,dpr-2,cm-pad_resize,bg-FF000050,r-10_20_30_40,b-5_red:rt-N45,fl-h_v/a.png",
        "/tr:cm-extract,w-100,h-100,xc-iw_mul_0.5,yc-200,t-20,bl-5,e-grayscale,e-usm-0-2-1-0.05,o-50/a.jpg",
        "/tr:l-image,i-logo.png,w-0.2,lx-N10,ly-20,l-end,l-text,i-Hello%20World,fs-40,co-blue,tg-b_i,pa-5_10,l-end/a.jpg",
        "/tr:so-1.5,eo-idu_mul_0.5,ac-none/v/clip.mp4",
        "/tr:w-200,fo-face,z-1.5,e-sharpen-3,bg-blurred_20_N30,cm-pad_resize,h-100/a.jpg?tr=e-contrast",
        "/tr:w-200,h-300,cm-pad_extract,bg-gradient_dominant_4:w-100,h-50,cm-pad_resize,bg-gradient_dominant/a.jpg",
        "/v/clip.mp4/ik-thumbnail.jpg",
        "/tr:l-image,i-a.png,lm-cutout,l-end,l-image,i-ik_canvas,w-9,h-9,lm-displace,lx-N3,lxc-4,l-end/a.jpg",
        // Zero is a position or a padding, not a size: it must cross the wire too.
        "/tr:cm-extract,w-50,h-50,x-0,y-0:l-image,i-logo.png,lx-0,ly-0,l-end,l-text,i-a,pa-0,l-end/a.jpg",
        // The effects with their own option grammar, defaults and negatives included.
        "/tr:e-shadow,e-shadow-bl-0_st-100_x-N100_y-N5,e-gradient,e-gradient-ld-45_from-red_to-00FF0040_sp-0.25/a.png",
        "/tr:e-gradient-sp-300,e-distort-p-N20_0_300_N5_280_200_0_210,e-distort-a-N90.5/a.png",
        // An `sp` expression travels as its text and is resolved by the daemon's planner.
        "/tr:e-gradient-ld-right_sp-ih_div_2_add_10/a.png",
        // A subtitles layer's font file travels as its origin path.
        "/tr:l-subtitles,i-subs@@en.srt,ff-fonts@@NotoSans-Regular.ttf,l-end/v/clip.mp4",
    ] {
        let (path, query) = url.split_once('?').map_or((url, None), |(p, q)| (p, Some(q)));
        let full = query.map_or(path.to_string(), |q| format!("{path}?{q}"));
        let job = parse(&full, &opts).unwrap_or_else(|e| panic!("{url}: {e}"));
        let back = job_from_proto(&job_to_proto(&job)).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(back, job, "{url}");
    }
}
