//! The Freshworks REST API double (tests/doubles/freshworks_api.py) as a
//! process on loopback, and the calls a test makes to steer it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct ApiDouble {
    child: Child,
    pub base: String,
}

impl ApiDouble {
    pub fn start(key: &str) -> ApiDouble {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/doubles/freshworks_api.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--key", key])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 for the API double");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .rsplit("listening on ")
            .next()
            .unwrap()
            .trim()
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        ApiDouble { child, base }
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) {
        let resp = super::http()
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
    }

    /// The API requests the double has had, as it logged them.
    pub async fn requests(&self) -> Vec<serde_json::Value> {
        super::http()
            .get(format!("{}/_double/requests", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

impl Drop for ApiDouble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
