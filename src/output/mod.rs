//! Output and interchange formats. `jsonl` is the JSON-lines message schema shared by
//! `mqtk pub --jsonl` (input) and `mqtk sub --json` (output).

pub mod jsonl;
