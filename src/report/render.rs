//! Rendering many findings on both cores while keeping their order: the formats that carry
//! every finding (JSON, JUnit) render chunks in parallel and write them in sequence.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

/// Items one thread renders at a time in [`write_rendered`].
const ITEMS_PER_CHUNK: usize = 4096;

/// Renders `items` in parallel, a chunk per task, and writes the chunks in order to `out`; the
/// next batch of chunks renders while the previous one is written. `render` gets a chunk and
/// whether it is the first, and appends its bytes to the buffer it is given. Buffers are
/// reused once written: fresh memory costs a page fault per 4 KiB, and a report of 100,000
/// accounts renders over a gigabyte.
pub fn write_rendered<T: Sync>(
    items: &[T],
    out: &mut dyn Write,
    render: impl Fn(&[T], bool, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let batch = ITEMS_PER_CHUNK * rayon::current_num_threads();
    // Bytes an item took in the last chunk rendered: buffers start at the size they will need
    // instead of doubling their way there (an ASFF finding is 1.6 KB, a JUnit test case 200 B).
    let item_bytes = AtomicUsize::new(256);
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let mut rendered: Vec<io::Result<Vec<u8>>> = Vec::new();
    for (b, batch) in items.chunks(batch).enumerate() {
        let previous = std::mem::take(&mut rendered);
        let mut next = Vec::new();
        let written = rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                next = batch
                    .par_chunks(ITEMS_PER_CHUNK)
                    .enumerate()
                    .map(|(c, chunk)| {
                        let estimate = item_bytes.load(Ordering::Relaxed) * chunk.len();
                        let mut buffer = lock(&spare).pop().unwrap_or_default();
                        buffer.reserve(estimate + estimate / 8);
                        render(chunk, b == 0 && c == 0, &mut buffer)?;
                        item_bytes.store(buffer.len() / chunk.len().max(1), Ordering::Relaxed);
                        Ok(buffer)
                    })
                    .collect();
            });
            write_buffers(&mut *out, previous, &spare)
        });
        written?;
        rendered = next;
    }
    write_buffers(out, rendered, &spare)
}

/// Bytes handed to one `write`: the kernel copies a few megabytes into the page cache in one
/// call at several times the cost per byte of smaller calls (an ASFF run on 100,000 accounts
/// spent 1.3 s of system time writing 6.5 MB chunks whole, 0.8 s in these pieces).
const WRITE_PIECE: usize = 256 * 1024;

/// Writes `buffers` in order, and keeps them, emptied, in `spare`.
fn write_buffers(
    out: &mut dyn Write,
    buffers: Vec<io::Result<Vec<u8>>>,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> io::Result<()> {
    for buffer in buffers {
        let mut buffer = buffer?;
        for piece in buffer.chunks(WRITE_PIECE) {
            out.write_all(piece)?;
        }
        buffer.clear();
        lock(spare).push(buffer);
    }
    Ok(())
}

/// The spare buffers; a renderer that panicked left them as they were, still usable.
fn lock(spare: &Mutex<Vec<Vec<u8>>>) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
    spare
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::{write_rendered, ITEMS_PER_CHUNK};

    #[test]
    fn rendered_chunks_are_written_in_order_once() {
        let items: Vec<usize> =
            (0..3 * ITEMS_PER_CHUNK * rayon::current_num_threads() + 5).collect();
        let mut out = Vec::new();
        write_rendered(&items, &mut out, |chunk, first, buffer| {
            if first {
                buffer.extend_from_slice(b"first\n");
            }
            for item in chunk {
                buffer.extend_from_slice(format!("{item}\n").as_bytes());
            }
            Ok(())
        })
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("first"));
        let numbers: Vec<usize> = lines.map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers, items);
        assert_eq!(text.matches("first").count(), 1);
    }

    #[test]
    fn a_failing_chunk_fails_the_write() {
        let items: Vec<usize> = (0..2 * ITEMS_PER_CHUNK).collect();
        let result = write_rendered(&items, &mut Vec::new(), |chunk, _, _| {
            if chunk[0] == ITEMS_PER_CHUNK {
                Err(std::io::Error::other("disk full"))
            } else {
                Ok(())
            }
        });
        assert_eq!(result.unwrap_err().to_string(), "disk full");
    }
}
