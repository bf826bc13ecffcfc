# The deploy artefacts: one aarch64 release build for every deployable.
#
# `sam build` (infra/template.yaml, BuildMethod: makefile, built in source:
# samconfig.toml) calls `make build-<LogicalId>` for each Lambda function;
# scripts/build_artifacts.sh calls `make release` once and then `sam build`.
# Every target builds the same seven binaries — the six functions and the
# SMTP proxy — in ONE cargo invocation for ONE target triple
# (aarch64-unknown-linux-musl: static, so `provided.al2023` runs it as it is
# and the proxy's FROM-scratch image needs no libc). One invocation means
# one feature resolution and one compile of the dependency graph; after the
# first target the others find everything built and only copy.
# Needs: cargo-zigbuild and zig on PATH (pip install cargo-zigbuild ziglang),
# `rustup target add aarch64-unknown-linux-musl`.

TRIPLE := aarch64-unknown-linux-musl
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(shell cargo metadata --no-deps --format-version 1 | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'))
RELEASE := $(TARGET_DIR)/$(TRIPLE)/release

# Lambda function (the template's logical id) -> its binary.
bin_PlatformFunction := sendas-fn-platform
bin_DirectoryFunction := sendas-fn-directory
bin_MailboxesFunction := sendas-fn-mailboxes
bin_MeFunction := sendas-fn-me
bin_SendFunction := sendas-fn-send
bin_RecheckFunction := sendas-fn-recheck
FUNCTIONS := PlatformFunction DirectoryFunction MailboxesFunction MeFunction SendFunction RecheckFunction
BINARIES := $(foreach f,$(FUNCTIONS),$(bin_$(f))) sendas-smtp-proxy

.PHONY: release $(addprefix build-,$(FUNCTIONS)) functions release-dir
release:
	cargo zigbuild --release --locked --target $(TRIPLE) -p sendas-functions -p sendas-smtp-proxy $(addprefix --bin ,$(BINARIES))

$(addprefix build-,$(FUNCTIONS)): build-%: release
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	cp $(RELEASE)/$(bin_$*) $(ARTIFACTS_DIR)/bootstrap

# For scripts: "<LogicalId> <binary>" per function, and where the binaries are.
functions:
	@$(foreach f,$(FUNCTIONS),echo "$(f) $(bin_$(f))";)
release-dir:
	@echo $(RELEASE)
