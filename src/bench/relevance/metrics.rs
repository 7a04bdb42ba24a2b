//! nDCG@k and recall@k over graded judgments.
//!
//! Rules: gains are `2^grade - 1`, discounted by `log2(rank + 1)`; the ideal ranking is the
//! judged grades sorted, so an unjudged incident counts as 0 and a query whose best incidents
//! are all in its top k scores 1. Recall counts the incidents graded 2 or more found in the top
//! k, out of as many as could fit (k, or fewer when fewer are relevant).

/// Grades from 2 up count as relevant for recall.
pub const RELEVANT: u8 = 2;

/// nDCG of `ranked` (the grade of each hit, best first) against every judged grade.
pub fn ndcg(ranked: &[u8], judged: &[u8], k: usize) -> f64 {
    let mut ideal: Vec<u8> = judged.to_vec();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let best = dcg(&ideal, k);
    if best == 0.0 {
        return 0.0;
    }
    dcg(ranked, k) / best
}

fn dcg(grades: &[u8], k: usize) -> f64 {
    grades
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(*g)) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

/// Relevant hits in the top `k`, out of `min(k, relevant judged)`; 1 when nothing is relevant.
pub fn recall(ranked: &[u8], judged: &[u8], k: usize) -> f64 {
    let relevant = judged.iter().filter(|g| **g >= RELEVANT).count();
    if relevant == 0 {
        return 1.0;
    }
    let found = ranked.iter().take(k).filter(|g| **g >= RELEVANT).count();
    found as f64 / relevant.min(k) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ideal_order_scores_one_and_nothing_scores_zero() {
        assert!((ndcg(&[3, 2, 1], &[1, 3, 2], 10) - 1.0).abs() < 1e-9);
        assert_eq!(ndcg(&[0, 0], &[3], 10), 0.0);
        assert!(ndcg(&[0, 3], &[3], 10) < 1.0);
        assert_eq!(recall(&[3, 0, 2], &[3, 2, 2], 10), 2.0 / 3.0);
        assert_eq!(recall(&[3; 10], &[3; 40], 10), 1.0);
    }
}
