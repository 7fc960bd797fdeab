/**
 * Prometheus metrics of a processor (prom-client): batch and message counters,
 * stage latencies, session state and model, all named `spamzk_*` and labelled
 * with `job` and `processor`. The pipeline feeds a ProcessorMetrics; the CLI
 * starts the HTTP server. Knows nothing of mail or IMAP.
 */
export { ProcessorMetrics, countVerdicts, VERDICTS, type BatchWork, type MetricsLabels, type ProcessorEventSource, type VerdictName } from './processor-metrics.js';
export { serveMetrics, DEFAULT_METRICS_HOST, MetricsServerError, type MetricsServer } from './server.js';
