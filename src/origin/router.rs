//! Several origins chosen by path prefix.
//!
//! Owns: [`Router`]. Imports `error` and the parent's trait only.
//!
//! Prefixes match whole path segments (`/remote` claims `/remote/a.jpg`, never
//! `/remotes/a.jpg`); the longest matching prefix wins; paths no prefix claims go to the
//! default origin (the local folder).

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use super::{BoxFuture, Fetched, Origin};
use crate::error::{Error, Result};

struct Route {
    /// Without a trailing `/`; empty = everything.
    prefix: String,
    strip: bool,
    origin: Arc<dyn Origin>,
}

/// Origins by path prefix.
pub struct Router {
    /// Longest prefix first.
    routes: Vec<Route>,
}

impl Router {
    /// Every path goes to `default` until routes are added.
    pub fn new(default: Arc<dyn Origin>) -> Router {
        Router { routes: vec![Route { prefix: String::new(), strip: false, origin: default }] }
    }

    /// Serve paths under `prefix` from `origin`, without the prefix when `strip`. An empty
    /// prefix (or `/`) replaces the default origin.
    pub fn add(&mut self, prefix: &str, strip: bool, origin: Arc<dyn Origin>) -> Result<()> {
        let prefix = prefix.trim_end_matches('/').to_string();
        if !(prefix.is_empty() || prefix.starts_with('/')) {
            return Err(Error::invalid("origins.prefix", prefix, "must start with '/'"));
        }
        self.routes.retain(|r| r.prefix != prefix);
        self.routes.push(Route { prefix, strip, origin });
        self.routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Ok(())
    }

    /// The route claiming `path`: the longest prefix that matches on a segment boundary.
    fn find(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| {
            path.strip_prefix(r.prefix.as_str())
                .is_some_and(|rest| r.prefix.is_empty() || rest.is_empty() || rest.starts_with('/'))
        })
    }

    /// The origin for `path` and the path to ask it for.
    pub fn route<'p>(&self, path: &'p str) -> Option<(&Arc<dyn Origin>, Cow<'p, str>)> {
        let r = self.find(path)?;
        let forwarded = match path.strip_prefix(r.prefix.as_str()) {
            Some(rest) if r.strip && !r.prefix.is_empty() => Cow::Owned(format!("/{}", rest.trim_start_matches('/'))),
            _ => Cow::Borrowed(path),
        };
        Some((&r.origin, forwarded))
    }
}

impl Origin for Router {
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            let (origin, forwarded) = self
                .route(path)
                .ok_or_else(|| Error::new(crate::error::ErrorKind::NotFound, format!("no origin serves '{path}'")))?;
            let mut fetched = origin.fetch(&forwarded).await?;
            // Two origins may hold different files with equal validators: keep them apart.
            fetched.etag = format!("{}|{}", fetched.etag, self.find(path).map_or("", |r| r.prefix.as_str()));
            Ok(fetched)
        })
    }

    fn local_path(&self, path: &str) -> Option<PathBuf> {
        let (origin, forwarded) = self.route(path)?;
        origin.local_path(&forwarded)
    }

    /// Ready when every route's origin is; the checks run at once, so the whole takes about
    /// as long as the slowest (each is bounded by `READY_TIMEOUT`).
    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let mut set = tokio::task::JoinSet::new();
            for r in &self.routes {
                let (prefix, origin) = (r.prefix.clone(), r.origin.clone());
                set.spawn(async move { (prefix, origin.ready().await) });
            }
            let mut failed = Vec::new();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok((_, Ok(()))) => {}
                    Ok((prefix, Err(e))) => {
                        let name = if prefix.is_empty() { "the default origin".to_string() } else { prefix };
                        failed.push(format!("{name}: {}", e.message()));
                    }
                    Err(e) => failed.push(format!("readiness check failed: {e}")),
                }
            }
            failed.sort();
            if failed.is_empty() {
                Ok(())
            } else {
                Err(Error::new(crate::error::ErrorKind::Unavailable, failed.join("; ")))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers with its name and the path it was asked for.
    struct Echo(&'static str);

    impl Origin for Echo {
        fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>> {
            Box::pin(async move { Ok(Fetched { bytes: format!("{}:{path}", self.0).into_bytes(), etag: "e".into() }) })
        }
        fn local_path(&self, _path: &str) -> Option<PathBuf> {
            None
        }
    }

    async fn get(r: &Router, path: &str) -> String {
        String::from_utf8(r.fetch(path).await.unwrap().bytes).unwrap()
    }

    #[tokio::test]
    async fn longest_prefix_wins_on_segment_boundaries() {
        let mut r = Router::new(Arc::new(Echo("local")));
        r.add("/remote", true, Arc::new(Echo("web"))).unwrap();
        r.add("/remote/s3/", true, Arc::new(Echo("s3"))).unwrap();
        r.add("/keep", false, Arc::new(Echo("keep"))).unwrap();
        assert_eq!(get(&r, "/remote/a.jpg").await, "web:/a.jpg");
        assert_eq!(get(&r, "/remote/s3/a.jpg").await, "s3:/a.jpg");
        assert_eq!(get(&r, "/remotes/a.jpg").await, "local:/remotes/a.jpg");
        assert_eq!(get(&r, "/keep/a.jpg").await, "keep:/keep/a.jpg");
        assert_eq!(get(&r, "/a.jpg").await, "local:/a.jpg");
        assert!(r.add("nope", true, Arc::new(Echo("x"))).is_err());
        assert!(r.ready().await.is_ok(), "origins without a check are ready");
        let a = r.fetch("/remote/a.jpg").await.unwrap().etag;
        let b = r.fetch("/a.jpg").await.unwrap().etag;
        assert_ne!(a, b, "validators of different origins must differ");
    }

    #[tokio::test]
    async fn ready_names_the_origins_that_are_not() {
        let missing = std::env::temp_dir().join(format!("xformd-missing-{}", std::process::id()));
        let mut r = Router::new(Arc::new(crate::origin::LocalOrigin::new(missing)));
        r.add("/web", true, Arc::new(Echo("web"))).unwrap();
        let e = r.ready().await.unwrap_err();
        assert!(e.message().starts_with("the default origin: media folder"), "{e}");
        let here = tempfile::tempdir().unwrap();
        r.add("/", false, Arc::new(crate::origin::LocalOrigin::new(here.path()))).unwrap();
        assert!(r.ready().await.is_ok());
    }
}
