// Command valuefrom gets secrets into containers on AWS. It resolves every
// AWS Secrets Manager and SSM Parameter Store reference (the ECS valueFrom
// syntax) in its environment, all or nothing, and names each failing
// variable with its reference and a hint, never its value.
//
// It is used in three ways:
//
//   - as a container's entrypoint, where it replaces itself with the
//     command (ENTRYPOINT ["/usr/local/bin/valuefrom", "--"]), or with
//     VALUEFROM_WATCH supervises it and re-resolves on rotation;
//   - as a sidecar: serve answers the Secrets Manager Agent's HTTP API,
//     render writes the values to files and keeps them current;
//   - from a shell: run, env, check and policy, against a task definition
//     and your own AWS identity.
//
// valuefrom -h (one screen), valuefrom help SUBCOMMAND and valuefrom help
// TOPIC are the manual: flags, settings, the reference grammar and the
// exit codes, generated from the code and pinned by golden files in
// testdata/help. docs/ shows it at work, a page per task, with examples
// that test/docs runs; ARCHITECTURE.md maps the packages.
package main
