// Command rstsniff-otelcol is a minimal OpenTelemetry Collector built from upstream modules:
// the OTLP receiver and the file exporter, enough for rstsniff's tests to receive its log
// records over OTLP/HTTP and read them back from a file. Built with the tag "full" it also
// has the Elasticsearch, Kafka and OTLP/HTTP exporters (Loki takes OTLP natively), so that
// `rstsniff-otelcol validate --config=collector.yaml` checks the fleet configuration.
// It is its own Go module so that rstsniff's go.mod stays lean.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/fileexporter"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry"
	"go.uber.org/zap"
)

// extraExporters and telemetryFactory are set by full.go (build tag
// "full"). Without it the collector's own telemetry is a logger alone
// (warnings and errors on standard error, no service::telemetry section):
// the full telemetry (otelconf, with its Prometheus and OTLP exporters)
// would add half the build time of the tests' collector.
var (
	extraExporters   []exporter.Factory
	telemetryFactory = telemetry.NewFactory(func() component.Config { return &struct{}{} },
		telemetry.WithCreateLogger(func(context.Context, telemetry.LoggerSettings, component.Config) (*zap.Logger, component.ShutdownFunc, error) {
			cfg := zap.NewProductionConfig()
			cfg.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
			l, err := cfg.Build()
			return l, nil, err
		}))
)

func components() (otelcol.Factories, error) {
	var f otelcol.Factories
	var err error
	if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
		return f, err
	}
	exporters := append([]exporter.Factory{fileexporter.NewFactory()}, extraExporters...)
	if f.Exporters, err = otelcol.MakeFactoryMap(exporters...); err != nil {
		return f, err
	}
	f.Telemetry = telemetryFactory
	return f, nil
}

func main() {
	set := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "rstsniff-otelcol",
			Description: "OpenTelemetry Collector for rstsniff's tests and fleet configuration",
			Version:     "0.148.0",
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				DefaultScheme:     "env",
			},
		},
	}
	if err := otelcol.NewCommand(set).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "rstsniff-otelcol:", err)
		os.Exit(1)
	}
}
