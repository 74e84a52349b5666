-- Blog posts: drafts, scheduled and published. Only published posts are public.
CREATE TABLE blog_posts (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- Markdown
    body TEXT NOT NULL,
    -- draft, scheduled or published
    status TEXT NOT NULL,
    publish_at BIGINT,
    published_at BIGINT,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX blog_posts_due ON blog_posts(publish_at) WHERE status = 'scheduled';
CREATE INDEX blog_posts_published ON blog_posts(published_at) WHERE status = 'published';
