//! Time-bound caches for what changes rarely: role definitions, PIM policies, and directory reads
//! (a user, their groups, a group's owners and members, applications). Eligibilities, active
//! assignments and writes are never cached: they decide whether access is granted.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::service::ports::{Directory, DirectoryGroup, DirectoryUser, UpstreamError};

/// Values kept for `ttl` after they were fetched; a zero `ttl` disables caching.
#[derive(Debug)]
pub(crate) struct TtlCache<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlCache<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached value, or the fetched one (cached when the fetch succeeds). Two concurrent
    /// misses both fetch; the later answer wins, which is harmless for these reads.
    pub(crate) async fn get_or_fetch<E, Fut>(
        &self,
        key: K,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return fetch().await;
        }
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, value)) = entries.get(&key)
                && at.elapsed() < self.ttl
            {
                return Ok(value.clone());
            }
        }
        let value = fetch().await?;
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        entries.insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }
}

/// A [`Directory`] that remembers answers for a while. E-mail lookups are not cached here (the
/// store caches identities).
pub struct CachedDirectory {
    inner: Arc<dyn Directory>,
    users: TtlCache<String, Option<DirectoryUser>>,
    user_groups: TtlCache<String, Vec<DirectoryGroup>>,
    owners: TtlCache<String, Vec<DirectoryUser>>,
    members: TtlCache<String, Vec<DirectoryUser>>,
    groups: TtlCache<String, Option<DirectoryGroup>>,
    applications: TtlCache<String, Option<(String, String)>>,
}

impl CachedDirectory {
    pub fn new(inner: Arc<dyn Directory>, ttl: Duration) -> Self {
        Self {
            inner,
            users: TtlCache::new(ttl),
            user_groups: TtlCache::new(ttl),
            owners: TtlCache::new(ttl),
            members: TtlCache::new(ttl),
            groups: TtlCache::new(ttl),
            applications: TtlCache::new(ttl),
        }
    }
}

#[async_trait]
impl Directory for CachedDirectory {
    async fn users_by_email(&self, email: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        self.inner.users_by_email(email).await
    }

    async fn user(&self, id: &str) -> Result<Option<DirectoryUser>, UpstreamError> {
        let fetch = || self.inner.user(id);
        self.users.get_or_fetch(id.to_owned(), fetch).await
    }

    async fn user_groups(&self, user_id: &str) -> Result<Vec<DirectoryGroup>, UpstreamError> {
        let fetch = || self.inner.user_groups(user_id);
        self.user_groups
            .get_or_fetch(user_id.to_owned(), fetch)
            .await
    }

    async fn group_owners(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        let fetch = || self.inner.group_owners(group_id);
        self.owners.get_or_fetch(group_id.to_owned(), fetch).await
    }

    async fn group_members(&self, group_id: &str) -> Result<Vec<DirectoryUser>, UpstreamError> {
        let fetch = || self.inner.group_members(group_id);
        self.members.get_or_fetch(group_id.to_owned(), fetch).await
    }

    async fn group(&self, name_or_id: &str) -> Result<Option<DirectoryGroup>, UpstreamError> {
        let fetch = || self.inner.group(name_or_id);
        self.groups.get_or_fetch(name_or_id.to_owned(), fetch).await
    }

    async fn application(
        &self,
        name_or_id: &str,
    ) -> Result<Option<(String, String)>, UpstreamError> {
        let fetch = || self.inner.application(name_or_id);
        self.applications
            .get_or_fetch(name_or_id.to_owned(), fetch)
            .await
    }

    fn uncached(&self) -> &dyn Directory {
        self.inner.uncached()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_value_is_fetched_once_until_it_expires() {
        let cache: TtlCache<&str, u32> = TtlCache::new(Duration::from_millis(200));
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(7)
        };
        assert_eq!(cache.get_or_fetch("k", fetch).await, Ok(7));
        assert_eq!(cache.get_or_fetch("k", fetch).await, Ok(7));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(cache.get_or_fetch("k", fetch).await, Ok(7));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_are_not_cached_and_zero_ttl_never_caches() {
        let cache: TtlCache<&str, u32> = TtlCache::new(Duration::from_secs(60));
        assert_eq!(
            cache.get_or_fetch("k", || async { Err("down") }).await,
            Err("down")
        );
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, &str>(1) }).await,
            Ok(1)
        );
        let off: TtlCache<&str, u32> = TtlCache::new(Duration::ZERO);
        assert_eq!(
            off.get_or_fetch("k", || async { Ok::<_, ()>(1) }).await,
            Ok(1)
        );
        assert_eq!(
            off.get_or_fetch("k", || async { Ok::<_, ()>(2) }).await,
            Ok(2)
        );
    }
}
