//! The web pages (the dashboard at `/`, the draft review page at `/review`, GraphiQL at
//! `GET /graphql`) and every file they load, embedded in the binary so the pages work on a
//! machine without internet access and `serve` needs no files besides itself.
//!
//! Responses are gzipped by the router when the browser accepts it. Two kinds of asset: our own pages and scripts (`web/app/`), served with `Cache-Control:
//! no-cache` and an `ETag` so a new release is picked up at once; and third-party files
//! vendored by `web/vendor.py` (`web/vendor/NAME-VERSION/`), whose paths carry their version
//! and so never change: those are `immutable` for a year.

use std::sync::OnceLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// URL path, e.g. `/assets/vendor/echarts-5.6.0/echarts.dashboard.min.js`.
    pub path: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// `Content-Type` header.
    pub content_type: &'static str,
    /// True for versioned third-party files (cached for a year, never revalidated).
    pub immutable: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";
const ICO: &str = "image/x-icon";

macro_rules! app {
    ($url:literal, $file:literal, $ct:expr) => {
        Asset {
            path: $url,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/app/", $file)),
            content_type: $ct,
            immutable: false,
        }
    };
}

macro_rules! vendor {
    ($file:literal, $ct:expr) => {
        Asset {
            path: concat!("/assets/vendor/", $file),
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/vendor/", $file)),
            content_type: $ct,
            immutable: true,
        }
    };
}

/// Every embedded file. The vendored ones are listed with their licences, which are served too
/// (the pages link to them).
pub static ASSETS: &[Asset] = &[
    app!("/", "index.html", HTML),
    app!("/graphql", "graphiql.html", HTML),
    app!("/review", "review.html", HTML),
    // A chart alone for another site's iframe: the dashboard page, which hides the rest when
    // it finds itself at /embed.
    app!("/embed", "index.html", HTML),
    app!("/assets/app/dashboard.js", "dashboard.js", JS),
    app!("/assets/app/dashboard.css", "dashboard.css", CSS),
    app!("/assets/app/graphiql-init.js", "graphiql-init.js", JS),
    app!("/assets/app/review.js", "review.js", JS),
    app!("/assets/app/review.css", "review.css", CSS),
    app!("/assets/app/map-codes.json", "map-codes.json", JSON),
    // Drawn by web/make-favicon.py.
    app!("/favicon.ico", "favicon.ico", ICO),
    // Built from web/build/echarts-dashboard.js: only the charts the pages draw.
    vendor!("echarts-5.6.0/echarts.dashboard.min.js", JS),
    vendor!("echarts-5.6.0/LICENSE", TEXT),
    vendor!("echarts-5.6.0/NOTICE", TEXT),
    vendor!("echarts-5.6.0/LICENSE-d3", TEXT),
    vendor!("zrender-5.6.1/LICENSE", TEXT),
    vendor!("tslib-2.3.0/LICENSE.txt", TEXT),
    // The map outline, from the last ECharts that shipped maps.
    vendor!("echarts-4.9.0/chongqing.json", JSON),
    vendor!("echarts-4.9.0/LICENSE", TEXT),
    vendor!("echarts-4.9.0/NOTICE", TEXT),
    vendor!("react-18.3.1/react.production.min.js", JS),
    vendor!("react-18.3.1/LICENSE", TEXT),
    vendor!("react-dom-18.3.1/react-dom.production.min.js", JS),
    vendor!("react-dom-18.3.1/LICENSE", TEXT),
    vendor!("graphiql-3.8.3/graphiql.min.js", JS),
    vendor!("graphiql-3.8.3/graphiql.min.css", CSS),
    vendor!("graphiql-3.8.3/LICENSE", TEXT),
];

/// The embedded file at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// ETags of our own files, computed once (the vendored files need none: they never change).
fn etag(asset: &Asset) -> Option<&'static str> {
    static TAGS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .filter(|a| !a.immutable)
            .map(|a| {
                let digest = Sha256::digest(a.bytes);
                // Weak: the same tag serves the gzipped and the identity representation.
                (a.path, format!("W/\"{}\"", hex::encode(&digest[..12])))
            })
            .collect()
    })
    .iter()
    .find(|(p, _)| *p == asset.path)
    .map(|(_, t)| t.as_str())
}

/// The response for an embedded file: its bytes with content type and cache headers, or
/// `304 Not Modified` when the browser already has this version of one of our own files.
pub fn respond(asset: &'static Asset, request: &HeaderMap) -> Response {
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let tag = etag(asset);
    let fresh = match (tag, request.get(IF_NONE_MATCH)) {
        (Some(t), Some(v)) => v
            .to_str()
            .is_ok_and(|v| v.split(',').any(|x| x.trim() == t)),
        _ => false,
    };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(t) = tag.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.insert(ETAG, t);
    }
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    (StatusCode::OK, headers, asset.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded vendored files are exactly those `web/vendor.py` wrote (its SHA256SUMS),
    /// so a hand edit of a vendored file, or a file listed here but not vendored, fails.
    #[test]
    fn vendored_assets_match_their_recorded_checksums() {
        let sums = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/web/vendor/SHA256SUMS"
        ));
        // Packages the browser tests use (axe-core) are vendored beside the others but never
        // served: web/vendor.json marks them `test_only`.
        let manifest: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/web/vendor.json"
        )))
        .expect("web/vendor.json parses");
        let test_only: Vec<String> = manifest["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .filter(|p| p["test_only"] == true)
            .map(|p| {
                format!(
                    "{}-{}/",
                    p["name"].as_str().unwrap_or(""),
                    p["version"].as_str().unwrap_or("")
                )
            })
            .collect();
        let recorded: Vec<(&str, &str)> = sums
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, file)| (file, sum))
            .filter(|(file, _)| !test_only.iter().any(|t| file.starts_with(t.as_str())))
            .collect();
        let vendored: Vec<&Asset> = ASSETS.iter().filter(|a| a.immutable).collect();
        for a in &vendored {
            let file = a.path.trim_start_matches("/assets/vendor/");
            let sum = recorded
                .iter()
                .find(|(f, _)| *f == file)
                .map(|(_, s)| *s)
                .unwrap_or_else(|| panic!("{file} is not in web/vendor/SHA256SUMS"));
            assert_eq!(hex::encode(Sha256::digest(a.bytes)), sum, "{file}");
        }
        assert_eq!(
            vendored.len(),
            recorded.len(),
            "every vendored file is served"
        );
    }

    #[test]
    fn paths_are_unique_and_types_follow_extensions() {
        for (i, a) in ASSETS.iter().enumerate() {
            assert!(ASSETS[..i].iter().all(|b| b.path != a.path), "{}", a.path);
            let expected = match a.path.rsplit_once('.').map(|(_, e)| e) {
                Some("js") => JS,
                Some("css") => CSS,
                Some("json") => JSON,
                Some("ico") => ICO,
                _ if a.path.contains("LICENSE") || a.path.ends_with("NOTICE") => TEXT,
                _ => HTML,
            };
            assert_eq!(a.content_type, expected, "{}", a.path);
        }
    }

    /// The map file is keyed by division code. Two divisions became districts with new codes
    /// after it was drawn (梁平县 500228 → 梁平区 500155, 武隆县 500232 → 武隆区 500156);
    /// `map-codes.json` maps them. With it, the map's features are exactly the 38 district- and
    /// county-level divisions of `seeds/districts.csv`.
    #[test]
    fn map_features_cover_the_38_divisions_of_the_seeds() {
        let map: serde_json::Value = serde_json::from_slice(
            find("/assets/vendor/echarts-4.9.0/chongqing.json")
                .expect("map embedded")
                .bytes,
        )
        .expect("map is JSON");
        let recode: serde_json::Value = serde_json::from_slice(
            find("/assets/app/map-codes.json")
                .expect("recode table embedded")
                .bytes,
        )
        .expect("recode table is JSON");
        let mut map_codes: Vec<String> = map["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                let id = f["id"].as_str().expect("feature id").to_string();
                recode["renamed"][&id]["code"]
                    .as_str()
                    .map_or(id, str::to_string)
            })
            .collect();
        map_codes.sort();
        let seeds =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/districts.csv"))
                .expect("seeds/districts.csv");
        let mut ours: Vec<String> = seeds
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(1) == Some("500000"))
            .map(|l| l.split(',').next().unwrap_or_default().to_string())
            .collect();
        ours.sort();
        assert_eq!(ours.len(), 38);
        assert_eq!(map_codes, ours);
    }
}
