# xformd — two commands on a fresh Debian 12 machine:
#   make run    install what is missing, build, serve the bundled sample media
#   make test   install what is missing, run the whole test suite (GPU kernels on lavapipe)

SHELL := /bin/bash
CARGO ?= cargo
# Debian packages the build and the tests need (see DESIGN.md §2).
APT_PACKAGES := pkg-config clang libclang-dev cmake nasm ffmpeg libavcodec-dev libavformat-dev \
  libavutil-dev libswscale-dev libswresample-dev libavfilter-dev libavdevice-dev \
  mesa-vulkan-drivers libvulkan1 vulkan-tools fonts-dejavu-core python3-venv opencv-data
HTTP ?= 127.0.0.1:8080
GRPC ?= 127.0.0.1:50051

.PHONY: run test deps s3-deps build check lint fmt bench bench-deps bench-vips clean

## Install the Debian packages that are missing (only those), with sudo when not root.
deps:
	@./scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(CARGO) build --release --locked

## Build and serve the bundled sample media on $(HTTP) (front end) and $(GRPC) (daemon).
run: build
	@echo "open http://$(HTTP)/tr:w-300/photos/LadyBird.jpg"
	./target/release/xformd serve --media media --http $(HTTP) --grpc $(GRPC)

## The whole suite. GPU tests run on Mesa lavapipe (software Vulkan); with
## XFORMD_GPU_TESTS=1 a missing adapter fails them instead of skipping them.
# Mesa's Vulkan WSI looks for XDG_RUNTIME_DIR even headless; give it one.
export XDG_RUNTIME_DIR ?= /tmp/xformd-xdg
## The S3 origin tests spawn moto_server (an S3-protocol server, PyPI `moto[server]`) on a
## free 127.0.0.1 port themselves; with XFORMD_S3_TESTS=1 a missing moto fails them.
test: deps s3-deps
	@mkdir -p $(XDG_RUNTIME_DIR) && chmod 700 $(XDG_RUNTIME_DIR)
	WGPU_BACKEND=vulkan XFORMD_GPU_TESTS=1 XFORMD_S3_TESTS=1 $(CARGO) test --locked --all-targets
	WGPU_BACKEND=vulkan XFORMD_GPU_TESTS=1 $(CARGO) test --locked --doc

## moto_server in .venv, installed only when missing (about a minute the first time).
s3-deps: .venv/bin/moto_server
.venv/bin/moto_server:
	python3 -m venv .venv
	.venv/bin/pip install -q 'moto[server]'

check: build
	WGPU_BACKEND=vulkan ./target/release/xformd check

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: build
	$(CARGO) bench --bench main

## libvips' command-line tools, only for the side-by-side speed comparison (not for `test`).
bench-deps:
	@./scripts/install-deps.sh libvips-tools

## CPU pipeline vs vipsthumbnail on the 20 MP photo (docs/benchmarks.md).
bench-vips: build bench-deps
	./scripts/bench-vips.sh

clean:
	$(CARGO) clean
