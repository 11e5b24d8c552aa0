//! Apps as the tests and benches start them: the configuration, an app with
//! a story, a fault in place, and the dashboard's scenes from a healthy
//! cluster under load to the finished diagnosis.

use crate::agent::BuiltinAnalyzer;
use crate::app::{AgentState, App, AppConfig, FaultState, Mode, Msg, update};
use crate::cluster::{ClusterSource, InjectedFault};
use crate::monitor::MonitorConfig;
use crate::story::{Script, default_script, parse_script};
use crate::workload::tracker::TrackerConfig;

use super::cluster::{after_kill, died, healthy, kill, sample, secs};

/// The app's configuration for `script` in `mode`: the simulator, seed 7,
/// the built-in analyzer's name, the default tracker, monitor and confirm
/// window, and the passes starting over. Change a field for anything else.
pub fn config(script: Script, mode: Mode) -> AppConfig {
    AppConfig {
        source: ClusterSource::Sim,
        script,
        mode,
        seed: 7,
        tracker: TrackerConfig::default(),
        monitor: MonitorConfig::default(),
        analyzer_name: BuiltinAnalyzer::NAME.into(),
        exit_after_one_pass: false,
        confirm_window: crate::app::confirm::WINDOW,
    }
}

/// One pass of `script` in auto mode and then leave, as `--plain --auto`
/// runs it, the target choice seeded with `seed`.
pub fn one_pass_config(script: Script, seed: u64) -> AppConfig {
    let mut config = config(script, Mode::Auto);
    config.exit_after_one_pass = true;
    config.seed = seed;
    config
}

/// The default story for a presenter.
pub fn default_app() -> App {
    App::new(config(default_script(), Mode::Presenter))
}

/// The default story in `mode`, its agent pane naming `analyzer`.
pub fn app_for_analyzer(mode: Mode, analyzer: &str) -> App {
    let mut config = config(default_script(), mode);
    config.analyzer_name = analyzer.into();
    App::new(config)
}

/// The story of `script` (a script's text, which must parse) for a presenter.
pub fn app_with(script: &str) -> App {
    app_with_mode(script, Mode::Presenter)
}

/// The story of `script` (a script's text, which must parse) in `mode`.
pub fn app_with_mode(script: &str, mode: Mode) -> App {
    App::new(config(parse_script(script, "test").unwrap(), mode))
}

/// `fault` in place, as its injection's answer leaves it: run 1 injecting
/// its kind on its service, then answered.
pub fn put_fault(app: &mut App, fault: InjectedFault) {
    app.set_fault(FaultState::Injecting {
        run: 1,
        spec: fault.spec,
        service: fault.service.clone(),
        abandoned: false,
    });
    update(
        app,
        Msg::Injected {
            run: 1,
            result: Ok(fault),
        },
    );
}

/// The default story on a healthy cluster, 30 s of steady load in the
/// chart, at show time 32 s.
pub fn under_load() -> App {
    let mut app = default_app();
    app.start();
    update(&mut app, Msg::Tick(secs(1.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(1.0)))));
    for i in 0..30 {
        let at = 2.0 + f64::from(i);
        let ops = 5000.0 + f64::from(i % 5) * 40.0;
        update(&mut app, Msg::Sample(sample(secs(at), ops)));
    }
    update(&mut app, Msg::Tick(secs(32.0)));
    update(&mut app, Msg::Snapshot(Ok(healthy(secs(32.0)))));
    app
}

/// [`under_load`], then tikv1 killed at 33 s on the detection chapter: its
/// death event, the load's dip and partial return, and PD's picture of the
/// dead store at 50 s.
pub fn after_the_kill() -> App {
    let mut app = under_load();
    app.show_chapter(4);
    put_fault(&mut app, kill(secs(33.0), "tikv1"));
    update(&mut app, Msg::Event(died(secs(33.0), "tikv1")));
    for (i, ops) in [1900.0, 800.0, 2600.0, 3900.0].into_iter().enumerate() {
        update(&mut app, Msg::Sample(sample(secs(34.0 + i as f64), ops)));
    }
    update(&mut app, Msg::Tick(secs(50.0)));
    update(&mut app, Msg::Snapshot(Ok(after_kill(secs(50.0), "tikv1"))));
    app
}

/// [`after_the_kill`] on the diagnosis chapter with the built-in analyzer's
/// diagnosis done: every panel busy.
pub fn diagnosed() -> App {
    let mut app = after_the_kill();
    app.show_chapter(5);
    let diagnosis = crate::agent::analyze(&app.world().evidence(app.now())).diagnosis;
    app.set_agent_state(AgentState::Done {
        diagnosis: Box::new(diagnosis),
        took: secs(2.4),
    });
    app.timeline_mut().diagnosed = Some(secs(19.4));
    app
}
