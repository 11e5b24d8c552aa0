//! The agent with a real model's protocols, against a stand-in server on
//! 127.0.0.1 that replays the documented streams (no model is needed), the
//! agent pane, the evaluation set and the key that must never show.

mod evidence;
mod server;
mod streams;
mod support;

mod apply;
mod authors;
mod binary;
mod clients;
mod compose;
mod eval_set;
mod key;
mod overdue;
mod pane;
mod record;
