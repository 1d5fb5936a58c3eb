//! A cache of tokens keyed by service URL, with refresh before expiry and coalescing of
//! concurrent fetches (SIPE keeps one pending request per service URI and queues callers).
//!
//! ```text
//!  lookup(url, now) ─► Hit(&ticket)   valid for more than the refresh margin
//!                  ├─► Fetch          nobody is fetching: the caller fetches, then insert() / fetch_failed()
//!                  └─► Pending        another caller is fetching: wait for it
//! ```
//!
//! ```
//! use webticket::cache::{Expiring, Lookup, TicketCache};
//! use webticket::UnixTime;
//!
//! #[derive(Debug, PartialEq)]
//! struct T(UnixTime);
//! impl Expiring for T {
//!     fn expires(&self) -> UnixTime { self.0 }
//! }
//!
//! let url = "https://pool/CertProv/CertProvisioningService.svc";
//! let mut cache = TicketCache::new(60);
//! assert!(matches!(cache.lookup(url, UnixTime(0)), Lookup::Fetch));
//! assert!(matches!(cache.lookup(url, UnixTime(1)), Lookup::Pending));
//! cache.insert(url, T(UnixTime(1000)));
//! assert!(matches!(cache.lookup(url, UnixTime(939)), Lookup::Hit(T(UnixTime(1000)))));
//! assert!(matches!(cache.lookup(url, UnixTime(941)), Lookup::Fetch)); // refresh 60 s early
//! ```

use std::collections::HashMap;

use crate::http::Url;
use crate::time::UnixTime;

/// Something with an expiry time.
pub trait Expiring {
    /// When it stops being valid.
    fn expires(&self) -> UnixTime;
}

/// The answer of [`TicketCache::lookup`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup<'a, T> {
    /// A value valid for more than the refresh margin.
    Hit(&'a T),
    /// No usable value and nobody fetching: the caller must fetch, then call
    /// [`TicketCache::insert`] or [`TicketCache::fetch_failed`].
    Fetch,
    /// Another caller is fetching; wait for it and look up again.
    Pending,
}

#[derive(Debug)]
struct Entry<T> {
    value: Option<T>,
    pending_since: Option<UnixTime>,
}

/// Tokens per service URL (scheme and host compared case-insensitively).
#[derive(Debug)]
pub struct TicketCache<T> {
    entries: HashMap<String, Entry<T>>,
    refresh_margin: i64,
    pending_timeout: i64,
}

/// SIPE reuses a web ticket only while at least this many seconds remain.
pub const DEFAULT_REFRESH_MARGIN: i64 = 60;

impl<T: Expiring> Default for TicketCache<T> {
    fn default() -> Self {
        Self::new(DEFAULT_REFRESH_MARGIN)
    }
}

impl<T: Expiring> TicketCache<T> {
    /// An empty cache that refreshes `refresh_margin` seconds before expiry. A pending fetch
    /// older than 120 s is considered lost and handed out again.
    pub fn new(refresh_margin: i64) -> Self {
        Self {
            entries: HashMap::new(),
            refresh_margin,
            pending_timeout: 120,
        }
    }

    /// Sets how long a fetch may stay pending before another caller is told to fetch.
    pub fn with_pending_timeout(mut self, secs: i64) -> Self {
        self.pending_timeout = secs;
        self
    }

    fn key(url: &str) -> String {
        Url::parse(url).map_or_else(|| url.to_owned(), |u| u.key())
    }

    /// Looks `url` up at `now`, marking a fetch as pending when returning [`Lookup::Fetch`].
    pub fn lookup(&mut self, url: &str, now: UnixTime) -> Lookup<'_, T> {
        let margin = self.refresh_margin;
        let timeout = self.pending_timeout;
        let entry = self.entries.entry(Self::key(url)).or_insert(Entry {
            value: None,
            pending_since: None,
        });
        if entry
            .value
            .as_ref()
            .is_some_and(|v| v.expires().since(now) > margin)
        {
            return Lookup::Hit(entry.value.as_ref().expect("checked above"));
        }
        match entry.pending_since {
            Some(since) if now.since(since) < timeout => Lookup::Pending,
            _ => {
                entry.pending_since = Some(now);
                Lookup::Fetch
            }
        }
    }

    /// The value for `url` if it has not expired at `now`, even inside the refresh margin
    /// (usable while a refresh is under way).
    pub fn get_unexpired(&self, url: &str, now: UnixTime) -> Option<&T> {
        self.entries
            .get(&Self::key(url))?
            .value
            .as_ref()
            .filter(|v| v.expires() > now)
    }

    /// Whether the value for `url` is missing or within the refresh margin at `now`.
    pub fn needs_refresh(&self, url: &str, now: UnixTime) -> bool {
        self.entries
            .get(&Self::key(url))
            .and_then(|e| e.value.as_ref())
            .is_none_or(|v| v.expires().since(now) <= self.refresh_margin)
    }

    /// Stores a fetched value and clears the pending mark.
    pub fn insert(&mut self, url: &str, value: T) {
        self.entries.insert(
            Self::key(url),
            Entry {
                value: Some(value),
                pending_since: None,
            },
        );
    }

    /// Clears the pending mark after a failed fetch (the old value, if any, stays).
    pub fn fetch_failed(&mut self, url: &str) {
        let key = Self::key(url);
        if let Some(e) = self.entries.get_mut(&key) {
            e.pending_since = None;
            if e.value.is_none() {
                self.entries.remove(&key);
            }
        }
    }

    /// Removes and returns the value for `url` (e.g. after the server rejected it).
    pub fn remove(&mut self, url: &str) -> Option<T> {
        self.entries.remove(&Self::key(url)).and_then(|e| e.value)
    }

    /// Drops every expired value that is not being fetched.
    pub fn purge_expired(&mut self, now: UnixTime) {
        self.entries.retain(|_, e| {
            e.pending_since.is_some() || e.value.as_ref().is_some_and(|v| v.expires() > now)
        });
    }

    /// Number of URLs with a value or a pending fetch.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
