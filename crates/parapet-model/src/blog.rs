//! Blog posts: publishers write them in Markdown; a post is a draft, scheduled for a moment, or
//! published. Only published posts are public (the portal, the feeds).

use crate::FieldError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Where a post stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
}

impl PostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<PostStatus> {
        [PostStatus::Draft, PostStatus::Scheduled, PostStatus::Published].into_iter().find(|s| s.as_str() == text)
    }
}

/// A post as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    /// The last part of its URL: `/blog/{slug}`.
    pub slug: String,
    pub title: String,
    /// One or two sentences for listings and feeds; plain text.
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub status: PostStatus,
    /// When a scheduled post is to be published.
    #[serde(with = "time::serde::rfc3339::option")]
    pub publish_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub author: String,
}

/// A post as a publisher writes it, checked into [`PostFields`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    pub slug: Option<String>,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub body: String,
}

/// A checked post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFields {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// The longest Markdown body accepted.
pub const MAX_BODY: usize = 200_000;

impl PostInput {
    /// Checks the post; without a slug, one is made from the title.
    pub fn validate(self) -> Result<PostFields, FieldError> {
        let title = self.title.trim().to_owned();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(FieldError::new("title", "a title of 1 to 200 characters is required"));
        }
        let slug = match self.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(slug) => slug.to_owned(),
            None => slug_of(&title),
        };
        check_slug(&slug)?;
        let summary = self.summary.trim().to_owned();
        if summary.chars().count() > 500 {
            return Err(FieldError::new("summary", "the summary is longer than 500 characters"));
        }
        if self.body.trim().is_empty() {
            return Err(FieldError::new("body", "the post has no text"));
        }
        if self.body.len() > MAX_BODY {
            return Err(FieldError::new("body", format!("the text is longer than {MAX_BODY} bytes")));
        }
        Ok(PostFields { slug, title, summary, body: self.body })
    }
}

/// A slug: lowercase letters, digits and single hyphens, 1 to 80 characters.
pub fn check_slug(slug: &str) -> Result<(), FieldError> {
    let ok = !slug.is_empty()
        && slug.len() <= 80
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "slug",
            format!("{slug:?} must be lowercase letters, digits and single hyphens, at most 80"),
        ))
    }
}

/// A slug from a title: `Patch Tuesday, December 2026` → `patch-tuesday-december-2026`.
pub fn slug_of(title: &str) -> String {
    let mut slug = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(80).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() { "post".to_owned() } else { slug }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (title, slug) in [
            ("Patch Tuesday, December 2026", "patch-tuesday-december-2026"),
            ("  Über --- Sicherheit!  ", "ber-sicherheit"),
            ("日本語", "post"),
        ] {
            assert_eq!(slug_of(title), slug, "{title}");
            assert!(check_slug(&slug_of(title)).is_ok());
        }
        for bad in ["", "Caps", "a--b", "-a", "a-", "a/b", "../x", &"a".repeat(81)] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation() {
        let input = |title: &str, body: &str| PostInput {
            slug: None,
            title: title.into(),
            summary: String::new(),
            body: body.into(),
        };
        assert_eq!(input("Hello", "text").validate().unwrap().slug, "hello");
        assert_eq!(input("", "text").validate().unwrap_err().field, "title");
        assert_eq!(input("Hello", "  ").validate().unwrap_err().field, "body");
        let mut bad_slug = input("Hello", "text");
        bad_slug.slug = Some("Not A Slug".into());
        assert_eq!(bad_slug.validate().unwrap_err().field, "slug");
    }
}
