//! A hostile component for the sandbox tests: it loops forever, allocates without bound,
//! traps, or asks the host for data its token cannot read. Never part of the served app.

use spin_sdk::http::{Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    match request.path().rsplit('/').next().unwrap_or("") {
        "loop" => {
            let mut counter: u64 = 0;
            loop {
                counter = std::hint::black_box(counter.wrapping_add(1));
            }
        }
        "allocate" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 16 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("this component traps on purpose"),
        "steal" => {
            let table = request.query().strip_prefix("table=").unwrap_or("secrets");
            match colibri_guest::query::execute(&format!("SELECT * FROM {table} FORMAT JSON"), &[])
            {
                Ok(output) => Response::new(200, output.body),
                Err(error) => colibri_guest::ApiError::from(error).into_response(),
            }
        }
        _ => Response::new(200, "ok"),
    }
}
