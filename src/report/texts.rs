//! The texts of a run's findings (message, evidence, remediation), worked out once for every
//! report of the run instead of once per report.
//!
//! A FAIL finding's remediation is a whole command and its message a rendered template: when
//! a run writes several reports (JSON, ASFF, JUnit, ...), working them out in each report
//! costs more than the rest of those reports. The binary makes these texts when two or more
//! reports show findings; a single report renders them as it streams and holds no copy.

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::finding::{Finding, Status};
use crate::report::redact::Redactor;
use crate::scan::Scan;

/// A finding's texts, redacted as the run asks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Texts<'a> {
    pub message: &'a str,
    /// Only when redacted: else the finding's own evidence is shown as it is.
    pub evidence: Option<&'a str>,
    pub remediation: Option<&'a str>,
}

/// The texts of every finding but PASS (whose message is the rule's title), in finding order.
#[derive(Debug)]
pub struct SharedTexts {
    /// Whether the texts are redacted (`--redact`): only reports of the same setting use them.
    pub(crate) redact: bool,
    /// The address of the findings they were worked out from: texts of another scan are
    /// never shown.
    findings: usize,
    /// Per finding, the place of its texts: span `at % TEXTS_PER_CHUNK` of chunk
    /// `at / TEXTS_PER_CHUNK`; [`NONE`] for PASS findings.
    index: Vec<u32>,
    chunks: Vec<Chunk>,
}

/// No texts: a PASS finding.
const NONE: u32 = u32::MAX;

/// The most findings whose texts are held (about 600 bytes each with a remediation command):
/// beyond, each report works them out again rather than hold gigabytes.
pub const MAX_SHARED: usize = 1_000_000;

/// Findings whose texts one task works out into one [`Chunk`].
const TEXTS_PER_CHUNK: usize = 4096;

/// The texts of up to [`TEXTS_PER_CHUNK`] findings, one after the other in one string. The
/// reports read texts in finding order, so they read this memory in sequence, which the
/// processor fetches ahead. A string per text made each one a cache miss (half of the
/// escaping time of the reports reading them) and cost two allocations a finding.
#[derive(Debug)]
struct Chunk {
    text: String,
    spans: Vec<Spans>,
}

/// Where a finding's texts lie in its chunk's text: the message, then the evidence and the
/// remediation when it has them.
#[derive(Debug, Clone, Copy)]
struct Spans {
    start: usize,
    message_end: usize,
    evidence_end: Option<usize>,
    remediation_end: Option<usize>,
}

impl SharedTexts {
    /// Works out the texts of `scan`'s findings on every core; `redact` as `--redact`. `None`
    /// when more than [`MAX_SHARED`] findings have texts.
    pub fn of(scan: &Scan, redact: bool) -> Option<SharedTexts> {
        // Remediations are worked out first, outside rayon's tasks (see `Scan::remedies`).
        scan.remedies();
        let redactor = Redactor::new(redact, scan.inventory.accounts.iter().map(|a| &*a.id));
        // One pass over the findings: on a large scan each pass is a serial moment of the run.
        let mut index = Vec::with_capacity(scan.findings.len());
        let mut shown = Vec::new();
        for (i, finding) in scan.findings.iter().enumerate() {
            if finding.status == Status::Pass {
                index.push(NONE);
            } else if shown.len() == MAX_SHARED {
                return None;
            } else {
                index.push(shown.len() as u32);
                shown.push(i);
            }
        }
        // Bytes a finding's texts took in the last chunk: a chunk's string starts at the size
        // it will need instead of doubling its way there.
        let finding_bytes = AtomicUsize::new(512);
        let chunks = shown
            .par_chunks(TEXTS_PER_CHUNK)
            .map(|findings| {
                let estimate = finding_bytes.load(Ordering::Relaxed) * findings.len();
                let mut text = String::with_capacity(estimate + estimate / 8);
                let spans = findings
                    .iter()
                    .map(|&i| {
                        let view = scan.view(&scan.findings[i]);
                        let start = text.len();
                        let message_end = append(&mut text, &redactor.message(&view));
                        let evidence = redact.then(|| redactor.evidence(&view)).flatten();
                        Spans {
                            start,
                            message_end,
                            evidence_end: evidence.map(|e| append(&mut text, &e)),
                            remediation_end: (redactor.remediation(&view))
                                .map(|r| append(&mut text, &r)),
                        }
                    })
                    .collect();
                finding_bytes.store(text.len() / findings.len(), Ordering::Relaxed);
                Chunk { text, spans }
            })
            .collect();
        Some(SharedTexts {
            redact,
            findings: scan.findings.as_ptr() as usize,
            index,
            chunks,
        })
    }

    /// The texts of `finding`, if it is one of `scan`'s findings and not a PASS.
    pub(crate) fn get(&self, scan: &Scan, finding: &Finding) -> Option<Texts<'_>> {
        if scan.findings.as_ptr() as usize != self.findings
            || scan.findings.len() != self.index.len()
        {
            return None;
        }
        // The finding's place in the scan, from its address: views hold a reference, not an
        // index, and the address is checked before it is used.
        let offset = (finding as *const Finding as usize)
            .wrapping_sub(scan.findings.as_ptr() as usize)
            / std::mem::size_of::<Finding>();
        let at = *self.index.get(offset)?;
        let same = scan
            .findings
            .get(offset)
            .is_some_and(|f| std::ptr::eq(f, finding));
        if !same || at == NONE {
            return None;
        }
        let chunk = &self.chunks[at as usize / TEXTS_PER_CHUNK];
        let spans = chunk.spans[at as usize % TEXTS_PER_CHUNK];
        let text = |start: usize, end: usize| &chunk.text[start..end];
        let evidence_start = spans.message_end;
        let remediation_start = spans.evidence_end.unwrap_or(spans.message_end);
        Some(Texts {
            message: text(spans.start, spans.message_end),
            evidence: spans.evidence_end.map(|end| text(evidence_start, end)),
            remediation: spans
                .remediation_end
                .map(|end| text(remediation_start, end)),
        })
    }
}

/// Appends `part` to `text`; where it ends.
fn append(text: &mut String, part: &str) -> usize {
    text.push_str(part);
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Options;
    use crate::scan::scan_of_snapshot;
    use std::sync::Arc;

    #[test]
    fn shared_texts_are_the_texts_each_report_would_work_out() {
        let text = std::fs::read("fixtures/demo-org.json").unwrap();
        let scan = scan_of_snapshot(&text);
        for redact in [false, true] {
            let alone = Options {
                redact,
                ..Options::default()
            };
            let shared = Options {
                texts: SharedTexts::of(&scan, redact).map(Arc::new),
                ..alone.clone()
            };
            let (alone, shared) = (
                Redactor::for_scan(&scan, &alone),
                Redactor::for_scan(&scan, &shared),
            );
            let mut compared = 0;
            for view in scan.views().filter(|v| v.status() != Status::Pass) {
                assert!(matches!(
                    shared.message(&view),
                    std::borrow::Cow::Borrowed(_)
                ));
                assert_eq!(shared.message(&view), alone.message(&view));
                assert_eq!(shared.evidence(&view), alone.evidence(&view));
                assert_eq!(shared.remediation(&view), alone.remediation(&view));
                compared += 1;
            }
            assert!(compared > 20, "only {compared} findings compared");
        }
        // Texts made with --redact are never shown by a report without it.
        let mismatched = Options {
            texts: SharedTexts::of(&scan, true).map(Arc::new),
            ..Options::default()
        };
        let redactor = Redactor::for_scan(&scan, &mismatched);
        let fail = scan.views().find(|v| v.status() == Status::Fail).unwrap();
        assert!(matches!(
            redactor.message(&fail),
            std::borrow::Cow::Owned(_)
        ));
    }
}
