//! Service slugs derived from what a source calls itself (DESIGN.md, "CLI").

use crate::domain::slug;

/// A source's own name as a slug (`domain::slug::SOURCE_NAME`: Unicode letters kept).
pub fn slugify(name: &str) -> String {
    slug::slugify(name, slug::SOURCE_NAME)
}

/// The slug of a page name, `None` when nothing is left.
pub fn page_service(name: &str) -> Option<String> {
    let slug = slugify(name);
    (!slug.is_empty()).then_some(slug)
}

/// The AWS region at the end of a service key (`dynamodb-us-east-1` -> `us-east-1`,
/// `ec2-us-gov-west-1` -> `us-gov-west-1`), `None` for global keys (`cloudfront`, `s3-us-standard`).
pub fn aws_region(key: &str) -> Option<&str> {
    let parts: Vec<&str> = key.split('-').collect();
    let n = parts.len();
    if n < 3 || parts[n - 1].is_empty() || !parts[n - 1].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    const DIRECTIONS: [&str; 9] = [
        "east",
        "west",
        "north",
        "south",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ];
    if !DIRECTIONS.contains(&parts[n - 2]) {
        return None;
    }
    let two_letters = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase());
    let start = if two_letters(parts[n - 3]) {
        n - 3
    } else if n >= 4
        && ["gov", "iso", "isob", "isof", "isoe"].contains(&parts[n - 3])
        && two_letters(parts[n - 4])
    {
        n - 4
    } else {
        return None;
    };
    // The region is the key's tail starting at part `start`.
    let offset: usize = parts[..start].iter().map(|p| p.len() + 1).sum();
    key.get(offset..)
}

/// `aws-REGION` from a service key, `aws` for global services.
pub fn aws_service(key: &str) -> String {
    match aws_region(key) {
        Some(region) => format!("aws-{region}"),
        None => "aws".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("GitHub"), "github");
        assert_eq!(slugify("  Atlassian Bitbucket! "), "atlassian-bitbucket");
        assert_eq!(slugify("Hugging Face"), "hugging-face");
        assert_eq!(page_service("--"), None);
    }

    #[test]
    fn aws_keys() {
        assert_eq!(aws_service("dynamodb-us-east-1"), "aws-us-east-1");
        assert_eq!(
            aws_service("multipleservices-me-central-1"),
            "aws-me-central-1"
        );
        assert_eq!(aws_service("ec2-us-gov-west-1"), "aws-us-gov-west-1");
        assert_eq!(aws_service("acm-pca-ap-southeast-2"), "aws-ap-southeast-2");
        assert_eq!(aws_service("cloudfront"), "aws");
        assert_eq!(aws_service("s3-us-standard"), "aws");
        assert_eq!(aws_service("management-console"), "aws");
    }
}
