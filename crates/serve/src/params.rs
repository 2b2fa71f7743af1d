//! Detect parameters from a JSON object keyed by flag name (`{"window": 60, "layers":
//! ["repost", "url"]}`), parsed by the same clap definitions as `lockstep detect`, so ranges,
//! defaults and messages are the command line's.

use crate::error::ApiError;
use clap::{CommandFactory, Parser};
use lockstep_detect::Params;
use serde_json::{Map, Value};

#[derive(Parser)]
#[command(name = "detect", no_binary_name = true, disable_help_flag = true)]
struct DetectFlags {
    #[command(flatten)]
    params: Params,
}

/// Flags a client may not set: `watchlist` names a file on the server.
const REFUSED: &[&str] = &["watchlist", "quiet"];

/// The parameters, and their JSON as given (recorded with the case).
pub fn parse(given: &Map<String, Value>) -> Result<(Params, Value), ApiError> {
    let cmd = DetectFlags::command();
    let mut argv: Vec<String> = Vec::new();
    for (k, v) in given {
        if REFUSED.contains(&k.as_str()) {
            return Err(ApiError::bad_request(format!(
                "parameter {k:?} cannot be set from the server"
            )));
        }
        let Some(arg) = cmd
            .get_arguments()
            .find(|a| a.get_long() == Some(k.as_str()))
        else {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {k:?} (the flags of lockstep detect, without --)"
            )));
        };
        let takes_value = arg.get_action().takes_values();
        let text = match v {
            Value::Bool(b) if !takes_value => {
                if *b {
                    argv.push(format!("--{k}"));
                }
                continue;
            }
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|x| match x {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ApiError::bad_request(format!("parameter {k:?}: a list of strings")))?
                .join(","),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "parameter {k:?}: give a number, a string or a list"
                )))
            }
        };
        if !takes_value {
            return Err(ApiError::bad_request(format!(
                "parameter {k:?} is true or false"
            )));
        }
        argv.push(format!("--{k}={text}"));
    }
    let flags = DetectFlags::try_parse_from(&argv).map_err(|e| {
        let msg = e.to_string();
        let first = msg
            .lines()
            .next()
            .unwrap_or("bad parameter")
            .trim_start_matches("error: ");
        ApiError::bad_request(format!("parameters: {first}"))
    })?;
    Ok((flags.params, Value::Object(given.clone())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn flags_by_name() {
        let (p, _) = parse(&obj(
            serde_json::json!({"window": 10, "layers": ["repost", "url"], "min-cluster-size": 4}),
        ))
        .unwrap();
        assert_eq!(p.window_s, 10.0);
        assert_eq!(p.layers.len(), 2);
        assert_eq!(p.min_cluster_size, 4);
        let (d, _) = parse(&Map::new()).unwrap();
        assert_eq!(d, Params::default());
    }

    #[test]
    fn refused_and_bad() {
        for bad in [
            serde_json::json!({"watchlist": "/etc/passwd"}),
            serde_json::json!({"nope": 1}),
            serde_json::json!({"window": -1}),
            serde_json::json!({"max-crowd": 1}),
            serde_json::json!({"window": {"x": 1}}),
        ] {
            let e = parse(&obj(bad.clone())).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
    }
}
