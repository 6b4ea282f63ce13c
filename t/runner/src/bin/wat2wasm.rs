//! `wat2wasm IN.wat OUT.wasm`: assembles a WebAssembly text fixture (`guests/wat`) for the
//! suite, with the `wat` crate. Fixtures in text are the hostile or unusual modules no
//! guest language produces: start functions, proposals, edge cases of the spec.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: wat2wasm IN.wat OUT.wasm");
        return ExitCode::from(2);
    };
    match wat::parse_file(input).map(|bytes| std::fs::write(output, bytes)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("wat2wasm: {output}: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("wat2wasm: {e}");
            ExitCode::FAILURE
        }
    }
}
