// SPDX-License-Identifier: Apache-2.0
// libnghttp2's API (`libnghttp2-dev`), used only by FerryHTTP's HTTP2Session*.swift (the socket layer).
#include <nghttp2/nghttp2.h>
