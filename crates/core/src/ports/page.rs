//! Cursor pagination shared by every list operation.

/// Which page to read: at most `limit` items after the opaque `after` cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    /// The `next` cursor of the previous page, or `None` for the first page.
    pub after: Option<String>,
}

impl PageRequest {
    /// Largest page any backend returns.
    pub const MAX_LIMIT: u32 = 500;
    /// Page size when none is asked for.
    pub const DEFAULT_LIMIT: u32 = 100;

    /// A page of up to `limit` items (clamped to 1..=500).
    pub fn new(limit: u32, after: Option<String>) -> Self {
        PageRequest { limit: limit.clamp(1, Self::MAX_LIMIT), after }
    }

    /// The first page with the default size.
    pub fn first() -> Self {
        Self::new(Self::DEFAULT_LIMIT, None)
    }

    /// The page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first()
    }
}

/// One page of results; `next` is set when more items may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// Cursor for the following page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` sorted items: the extra item
    /// only signals that there is a next page, whose cursor is `key` of the
    /// last item kept.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Self {
        let limit = limit as usize;
        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(key);
            Page { items, next }
        } else {
            Page { items, next: None }
        }
    }
}

/// Reads every page of a list: `fetch` is called with each page request
/// (the largest page size) until a page has no `next`.
pub async fn read_all<T, E, F, Fut>(mut fetch: F) -> Result<Vec<T>, E>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, E>>,
{
    let mut out = Vec::new();
    let mut page = PageRequest::new(PageRequest::MAX_LIMIT, None);
    loop {
        let p = fetch(page).await?;
        out.extend(p.items);
        match p.next {
            Some(next) => page = PageRequest::new(PageRequest::MAX_LIMIT, Some(next)),
            None => return Ok(out),
        }
    }
}
