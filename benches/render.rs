//! Full-frame render of the dashboard at fixed sizes with a busy, realistic
//! state: the diagnosis screen the snapshot tests check
//! ([`chaosdeck::testing::diagnosed`]: a store down, the load's dip,
//! incidents and a diagnosis; `tests/core` checks it is that busy).
//! Run: `cargo bench --bench render`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// `render`: the view drawing every panel into the frame's buffer (what
/// `ui::view` costs). `draw`: a whole `Terminal::draw`, the view plus the
/// diff against the previous frame and the test backend taking the changes.
fn render(c: &mut Criterion) {
    let app = chaosdeck::testing::diagnosed();
    eprintln!(
        "bench state: {} incidents, {} monitor lines",
        app.world().monitor().incidents().len(),
        app.chronicle().pane().len()
    );
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        c.bench_function(&format!("render {w}x{h}"), |b| {
            b.iter(|| {
                let mut frame = terminal.get_frame();
                chaosdeck::ui::view(black_box(&app), &mut frame);
            })
        });
        c.bench_function(&format!("draw {w}x{h}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| chaosdeck::ui::view(black_box(&app), frame))
                    .expect("draw");
            })
        });
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
