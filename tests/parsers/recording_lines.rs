//! The recording's line parser (issue 19): every line the recorder writes
//! reads back as the same input; any text at all is a line or a reason,
//! never a panic; and a recording cut at any byte after its header still
//! reads, up to the cut.

use std::time::Duration;

use chaosdeck::app::{Command, Msg};
use chaosdeck::cluster::{FaultKind, Notice};
use chaosdeck::replay::format::{self, Header, Input, Line};
use chaosdeck::story::{chapter::DEFAULT_CHAPTERS, default_script};
use chaosdeck::testing::{self, secs};
use proptest::prelude::*;

fn header() -> Header {
    let config = testing::one_pass_config(default_script(), 1);
    Header::new(&config, "built-in chapters", DEFAULT_CHAPTERS, 20.0)
}

fn msg() -> impl Strategy<Value = Msg> {
    let command = prop::sample::select(vec![
        Command::Next,
        Command::Prev,
        Command::TogglePause,
        Command::Quit,
        Command::Halt,
    ]);
    prop_oneof![
        (0u64..10_000_000).prop_map(|ms| Msg::Tick(Duration::from_millis(ms))),
        command.prop_map(Msg::Command),
        (0.0f64..1e4, 0.0f64..1e6)
            .prop_map(|(at, ops)| Msg::Sample(testing::sample(secs(at), ops))),
        (0.0f64..1e4).prop_map(|at| Msg::Snapshot(Ok(testing::after_kill(secs(at), "tikv2")))),
        (0.0f64..1e4).prop_map(|at| Msg::Event(testing::died(secs(at), "tikv1"))),
        (0u64..99, ".{0,40}").prop_map(|(run, why)| Msg::Injected {
            run,
            result: Err(chaosdeck::cluster::BackendError::Refused(why)),
        }),
        (0u64..9).prop_map(|run| Msg::Injected {
            run,
            result: Ok(testing::kill(secs(1.0), "tikv0")),
        }),
        ".{0,60}".prop_map(|text| Msg::Notice(Notice::trouble(text))),
        proptest::option::of(".{0,30}").prop_map(Msg::InputEnded),
        Just(Msg::Signal {
            number: 15,
            name: "SIGTERM".into()
        }),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    (0.0f64..1e6, msg()).prop_map(|(t, msg)| Line {
        t: (t * 1e6).round() / 1e6,
        input: Input::Msg(msg),
    })
}

fn written(line: &Line) -> String {
    serde_json::to_string(line).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_written_line_reads_back_as_the_same_input(line in line()) {
        let text = written(&line);
        let back = format::parse_line(&text).map_err(TestCaseError::fail)?;
        prop_assert_eq!(written(&back), text);
        prop_assert_eq!(back.t, line.t);
    }

    #[test]
    fn any_text_is_a_line_or_a_reason(text in ".{0,200}") {
        let _ = format::parse_line(&text);
        let recording = format!("{}\n{text}\n", serde_json::to_string(&header()).unwrap());
        match format::parse(recording.as_bytes()) {
            Ok(r) => prop_assert!(r.lines.len() <= 1),
            Err(e) => prop_assert_eq!(e.line, 2),
        }
    }

    #[test]
    fn a_mutated_line_never_panics(line in line(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = written(&line).into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = format::parse_line(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn a_recording_cut_anywhere_after_its_header_reads_up_to_the_cut(
        lines in prop::collection::vec(line(), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let head = serde_json::to_string(&header()).unwrap() + "\n";
        let body: String = lines.iter().map(|l| written(l) + "\n").collect();
        let text = head.clone() + &body;
        let cut = head.len() + cut.index(body.len() + 1);
        // At any byte, even inside a character, as a SIGKILL leaves it.
        let bytes = &text.as_bytes()[..cut];
        let read = format::parse(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let complete = bytes[head.len()..].iter().filter(|b| **b == b'\n').count();
        prop_assert!(
            read.lines.len() == complete || read.lines.len() == complete + 1,
            "{} lines read, {} complete", read.lines.len(), complete
        );
        prop_assert_eq!(read.cut_off, read.lines.len() == complete && !bytes.ends_with(b"\n"));
    }
}

#[test]
fn every_fault_kind_and_the_header_read_back() {
    let head = header();
    let text = serde_json::to_string(&head).unwrap();
    assert_eq!(format::parse_header(&text).unwrap(), head);
    for kind in FaultKind::ALL {
        let line = Line {
            t: 2.5,
            input: Input::Msg(Msg::Injected {
                run: 1,
                result: Ok(chaosdeck::cluster::InjectedFault {
                    spec: kind.into(),
                    ..testing::kill(secs(2.0), "tikv1")
                }),
            }),
        };
        let back = format::parse_line(&written(&line)).unwrap();
        assert_eq!(written(&back), written(&line), "{kind:?}");
    }
}
