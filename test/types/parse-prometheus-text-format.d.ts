// parse-prometheus-text-format ships no types; this declares the shape its README documents.
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    /** One series; values stay strings as they appear in the exposition. */
    interface Sample {
      labels?: Record<string, string>;
      /** Counters, gauges, untyped. */
      value?: string;
      /** Histograms: cumulative count per `le` bound, `+Inf` included. */
      buckets?: Record<string, string>;
      /** Summaries. */
      quantiles?: Record<string, string>;
      count?: string;
      sum?: string;
    }

    interface MetricFamily {
      name: string;
      help: string;
      type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
      metrics: Sample[];
    }
  }

  /** Throws on a line that is not valid Prometheus text format. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.MetricFamily[];
  export = parsePrometheusTextFormat;
}
