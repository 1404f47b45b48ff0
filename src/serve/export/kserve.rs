//! Kubernetes manifests for a model served by the image `cairn export --docker` builds:
//! a KServe `InferenceService` (a custom predictor container speaking the V2 protocol Cairn
//! serves) and, for clusters without KServe, a plain `Deployment` + `Service` +
//! `HorizontalPodAutoscaler`. Written as JSON (which is YAML too; `kubectl apply -f` reads it).

use super::{ExportError, write};
use crate::train::Pipeline;
use serde_json::{Value, json};
use std::path::Path;

/// The port the container serves on (as in the Docker export).
const PORT: u16 = 8080;

/// A Kubernetes name (RFC 1123 label: lower-case letters, digits and '-', at most 63, starting
/// and ending alphanumeric) made from `text`.
pub fn k8s_name(text: &str) -> String {
    let words: Vec<String> = text
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut name = words.join("-");
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name = if name.is_empty() { "cairn".into() } else { format!("cairn-{name}") };
    }
    name.truncate(63);
    name.trim_end_matches('-').to_string()
}

/// The serving container: `cairn serve` on 0.0.0.0:8080 with readiness and liveness on the
/// server's V2 health routes and resource requests.
fn container(name: &str, image: &str) -> Value {
    let probe = |path: &str, delay: u32| {
        json!({"httpGet": {"path": path, "port": PORT}, "initialDelaySeconds": delay, "periodSeconds": 5,
               "timeoutSeconds": 2, "failureThreshold": 3})
    };
    json!({
        "name": name,
        "image": image,
        // The image's own entry point, spelled out (a bare `args` would be appended to it).
        "command": ["/usr/local/bin/cairn"],
        "args": ["serve", "/model/model.cairn", "--host", "0.0.0.0", "--port", PORT.to_string()],
        "ports": [{"containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": probe("/v2/health/ready", 1),
        "livenessProbe": probe("/v2/health/live", 5),
        "resources": {
            "requests": {"cpu": "500m", "memory": "256Mi"},
            "limits": {"cpu": "2", "memory": "1Gi"},
        },
    })
}

/// The KServe `InferenceService`: a custom predictor (the image's `cairn serve`), V2 protocol,
/// 1 to 4 replicas scaled on CPU (KServe's HPA autoscaler class).
pub fn inference_service(pipeline: &Pipeline, checksum: &str, name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "cairn"},
            "annotations": {
                "serving.kserve.io/deploymentMode": "RawDeployment",
                "serving.kserve.io/autoscalerClass": "hpa",
                "serving.kserve.io/metric": "cpu",
                "serving.kserve.io/targetUtilizationPercentage": "70",
                "cairn/model": pipeline.model_display_name(),
                "cairn/goal": pipeline.goal(),
                "cairn/bundle-checksum": checksum,
                "cairn/protocol": "KServe V2 (/v2/models/{name}/infer), also POST /predict and /invocations",
            },
        },
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 4,
                "scaleMetric": "cpu",
                "scaleTarget": 70,
                "containers": [container("kserve-container", image)],
            }
        }
    })
}

/// A plain `Deployment` (2 replicas, rolling update that keeps every replica until its
/// successor is ready), its `Service` (port 80) and a `HorizontalPodAutoscaler` (2–6 on CPU).
pub fn deployment(name: &str, image: &str) -> [Value; 3] {
    let labels = json!({"app.kubernetes.io/name": name});
    [
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [container("cairn", image)], "terminationGracePeriodSeconds": 30},
                },
            },
        }),
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": PORT, "protocol": "TCP"}],
            },
        }),
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                "minReplicas": 2,
                "maxReplicas": 6,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                              "target": {"type": "Utilization", "averageUtilization": 70}}}],
            },
        }),
    ]
}

/// Writes `inferenceservice.json`, `deployment.json`, `service.json`, `hpa.json` and a README.
pub fn write_kserve(
    pipeline: &Pipeline,
    checksum: &str,
    bundle: &Path,
    image: &str,
    dir: &Path,
) -> Result<(), ExportError> {
    let stem = bundle.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = k8s_name(&stem);
    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    write(&dir.join("inferenceservice.json"), &pretty(&inference_service(pipeline, checksum, &name, image)))?;
    let [deploy, service, hpa] = deployment(&name, image);
    write(&dir.join("deployment.json"), &pretty(&deploy))?;
    write(&dir.join("service.json"), &pretty(&service))?;
    write(&dir.join("hpa.json"), &pretty(&hpa))?;
    let readme = format!(
        "Kubernetes manifests for the Cairn model '{name}' ({model}), served by the image {image}.\n\n\
         Build the image first: cairn export MODEL.cairn --docker image/ && podman build -t {image} image/\n\
         (push it where your cluster pulls from, and change \"image\" here if needed).\n\n\
         With KServe:   kubectl apply -f inferenceservice.json\n\
         Without:       kubectl apply -f deployment.json -f service.json -f hpa.json\n\n\
         The container serves the KServe V2 protocol (/v2/health/live, /v2/health/ready,\n\
         /v2/models/{{name}}/infer), POST /predict, POST /invocations (MLflow) and GET /metrics (Prometheus).\n",
        model = pipeline.model_display_name(),
    );
    write(&dir.join("README.txt"), readme.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_kubernetes_names() {
        assert_eq!(k8s_name("House Prices_v2"), "house-prices-v2");
        assert_eq!(k8s_name("2024 model"), "cairn-2024-model");
        assert_eq!(k8s_name("!!!"), "cairn");
        let long = k8s_name(&"a".repeat(100));
        assert!(long.len() <= 63);
    }
}
