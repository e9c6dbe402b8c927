//! Grouping of raw detector hits, as OpenCV's `groupRectangles(minNeighbors = 3, eps = 0.2)`.
//!
//! Owns: [`group`], its similarity test and constants. May import the parent's [`Face`].

use super::Face;

/// A cluster needs more than this many raw hits (OpenCV's `minNeighbors`).
const MIN_NEIGHBORS: usize = 3;

/// Grouping tolerance (OpenCV's `eps`).
const GROUP_EPS: f64 = 0.2;

/// OpenCV's `groupRectangles` similarity test.
fn similar(a: &Face, b: &Face) -> bool {
    let delta = GROUP_EPS * (a.width.min(b.width) + a.height.min(b.height)) * 0.5;
    (a.x - b.x).abs() <= delta
        && (a.y - b.y).abs() <= delta
        && (a.x + a.width - b.x - b.width).abs() <= delta
        && (a.y + a.height - b.y - b.height).abs() <= delta
}

/// Cluster raw hits, average each cluster, keep clusters of more than [`MIN_NEIGHBORS`]
/// hits and drop boxes inside a stronger one.
pub(super) fn group(raw: &[Face]) -> Vec<Face> {
    let n = raw.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for i in 0..n {
        for j in i + 1..n {
            if similar(&raw[i], &raw[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if a != b {
                    parent[b.max(a)] = a.min(b);
                }
            }
        }
    }
    let mut clusters: Vec<(usize, Face)> = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for (i, f) in raw.iter().enumerate() {
        let r = root(&mut parent, i);
        let k = *index.entry(r).or_insert_with(|| {
            clusters.push((0, Face { x: 0.0, y: 0.0, width: 0.0, height: 0.0, neighbors: 0 }));
            clusters.len() - 1
        });
        let c = &mut clusters[k];
        c.0 += 1;
        (c.1.x, c.1.y, c.1.width, c.1.height) = (c.1.x + f.x, c.1.y + f.y, c.1.width + f.width, c.1.height + f.height);
    }
    let avg: Vec<Face> = clusters
        .iter()
        .map(|(count, s)| {
            let k = *count as f64;
            Face { x: s.x / k, y: s.y / k, width: s.width / k, height: s.height / k, neighbors: *count }
        })
        .collect();
    avg.iter()
        .filter(|a| a.neighbors > MIN_NEIGHBORS)
        .filter(|a| {
            !avg.iter().any(|b| {
                if std::ptr::eq(*a, b) || b.neighbors <= MIN_NEIGHBORS {
                    return false;
                }
                let (dx, dy) = ((b.width * GROUP_EPS).round(), (b.height * GROUP_EPS).round());
                let inside = a.x >= b.x - dx
                    && a.y >= b.y - dy
                    && a.x + a.width <= b.x + b.width + dx
                    && a.y + a.height <= b.y + b.height + dy;
                inside && (b.neighbors > a.neighbors.max(3) || a.neighbors < 3)
            })
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_needs_neighbours() {
        let f = |x: f64| Face { x, y: 10.0, width: 40.0, height: 40.0, neighbors: 1 };
        assert!(group(&[f(0.0), f(1.0), f(2.0)]).is_empty(), "3 hits are not enough");
        let g = group(&[f(0.0), f(1.0), f(2.0), f(3.0), f(200.0)]);
        assert_eq!(g.len(), 1);
        assert!((g[0].x - 1.5).abs() < 1e-9 && g[0].neighbors == 4);
    }
}
