//go:build full

package main

import (
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/elasticsearchexporter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

func init() {
	extraExporters = []exporter.Factory{
		elasticsearchexporter.NewFactory(),
		kafkaexporter.NewFactory(),
		otlphttpexporter.NewFactory(), // Loki 3 takes OTLP/HTTP on /otlp
	}
	// The collector's own telemetry as a distribution has it, so that a
	// service::telemetry section validates too.
	telemetryFactory = otelconftelemetry.NewFactory()
}
