"""Tesla Fleet Telemetry records from Kafka: schema, decoding and a reconnecting consumer."""
