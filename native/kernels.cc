// Node-API addon with the engine's native kernels, computed in place on Float32Arrays that the
// caller owns (views into the tfjs wasm heap or the cpu backend's arrays):
//  - NHWC conv2d forward, input gradient and filter gradient on oneDNN (the library PyTorch's
//    CPU convolutions run on). Filters are tfjs' HWIO layout.
//  - the max-pool gradient loop (src/engine/kernels/MaxPoolGrad.ts), bitwise the same.
//  - the four per-pixel loops of training batch norm (src/engine/kernels/BatchNormTraining.ts),
//    giving bitwise the JavaScript loops' results: the same float64 arithmetic in the same order
//    per channel (compiled without fused multiply-adds), vectorised over channels.
//
// conv(kind, a, b, out, geometry): kind 0 forward (a = x, b = filter, out = y); 1 input gradient
// (a = dy, b = filter, out = dx); 2 filter gradient (a = x, b = dy, out = dfilter).
// geometry (Int32Array, 17): N, H, W, Ci, Co, kh, kw, Ho, Wo, sh, sw, dh, dw, top, left, bottom,
// right. Primitives are built once per (kind, geometry) and kept: building JITs code (~ms).
// Engine, stream and cache are per thread: worker threads of a pool may each load this addon, and
// OpenMP's thread count (setThreads) is a setting of the calling thread too.
#include <node_api.h>
#include <omp.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

constexpr int kGeometryLength = 17;

struct Geometry {
  int64_t n, h, w, ci, co, kh, kw, ho, wo, sh, sw, dh, dw, top, left, bottom, right;
};

struct Prepared {
  memory::desc a, b, out;                         // the caller's layouts
  memory::desc primitiveWeights;                  // the layout the primitive wants for weights
  dnnl::primitive primitive;
  int kind = 0;
};

dnnl::engine& cpuEngine() {
  thread_local dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpuStream() {
  thread_local dnnl::stream stream(cpuEngine());
  return stream;
}

// Threads setThreads allows; a conv smaller than kParallelMacs multiply-adds runs on one (forking
// OpenMP's team costs more than it saves there).
thread_local int maxThreads = 1;
constexpr double kParallelMacs = 16e6;
constexpr size_t kMaxPrimitives = 1024;

int threadsFor(const Geometry& g) {
  const double macs = static_cast<double>(g.n) * g.ho * g.wo * g.co * g.kh * g.kw * g.ci;
  return macs >= kParallelMacs ? maxThreads : 1;
}

std::map<std::string, std::unique_ptr<Prepared>>& cache() {
  thread_local std::map<std::string, std::unique_ptr<Prepared>> prepared;
  return prepared;
}

std::unique_ptr<Prepared> prepare(int kind, const Geometry& g) {
  auto p = std::make_unique<Prepared>();
  p->kind = kind;
  const memory::dims src{g.n, g.ci, g.h, g.w};
  const memory::dims dst{g.n, g.co, g.ho, g.wo};
  const memory::dims wei{g.co, g.ci, g.kh, g.kw};
  const memory::dims strides{g.sh, g.sw};
  const memory::dims dilation{g.dh - 1, g.dw - 1};  // oneDNN counts skipped taps
  const memory::dims padL{g.top, g.left};
  const memory::dims padR{g.bottom, g.right};
  const memory::desc srcNhwc(src, dt::f32, tag::nhwc);
  const memory::desc dstNhwc(dst, dt::f32, tag::nhwc);
  const memory::desc weiHwio(wei, dt::f32, tag::hwio);
  const memory::desc weiAny(wei, dt::f32, tag::any);
  auto& engine = cpuEngine();
  dnnl::convolution_forward::desc fwdDesc(dnnl::prop_kind::forward_training,
                                          dnnl::algorithm::convolution_direct, srcNhwc, weiAny,
                                          dstNhwc, strides, dilation, padL, padR);
  dnnl::convolution_forward::primitive_desc fwdPd(fwdDesc, engine);
  if (kind == 0) {
    p->a = srcNhwc;
    p->b = weiHwio;
    p->out = dstNhwc;
    p->primitiveWeights = fwdPd.weights_desc();
    p->primitive = dnnl::convolution_forward(fwdPd);
  } else if (kind == 1) {
    dnnl::convolution_backward_data::desc bwdDesc(dnnl::algorithm::convolution_direct, srcNhwc,
                                                  weiAny, dstNhwc, strides, dilation, padL,
                                                  padR);
    dnnl::convolution_backward_data::primitive_desc pd(bwdDesc, engine, fwdPd);
    p->a = dstNhwc;
    p->b = weiHwio;
    p->out = srcNhwc;
    p->primitiveWeights = pd.weights_desc();
    p->primitive = dnnl::convolution_backward_data(pd);
  } else {
    dnnl::convolution_backward_weights::desc bwdDesc(dnnl::algorithm::convolution_direct,
                                                     srcNhwc, weiAny, dstNhwc, strides, dilation,
                                                     padL, padR);
    dnnl::convolution_backward_weights::primitive_desc pd(bwdDesc, engine, fwdPd);
    p->a = srcNhwc;
    p->b = dstNhwc;
    p->out = weiHwio;
    p->primitiveWeights = pd.diff_weights_desc();
    p->primitive = dnnl::convolution_backward_weights(pd);
  }
  return p;
}

void run(Prepared& p, float* a, float* b, float* out) {
  auto& engine = cpuEngine();
  auto& stream = cpuStream();
  memory aMem(p.a, engine, a);
  memory bMem(p.b, engine, b);
  memory outMem(p.out, engine, out);
  if (p.kind == 0 || p.kind == 1) {
    memory weights = bMem;
    if (p.primitiveWeights != p.b) {
      weights = memory(p.primitiveWeights, engine);
      dnnl::reorder(bMem, weights).execute(stream, bMem, weights);
    }
    if (p.kind == 0) {
      p.primitive.execute(stream, {{DNNL_ARG_SRC, aMem}, {DNNL_ARG_WEIGHTS, weights},
                                   {DNNL_ARG_DST, outMem}});
    } else {
      p.primitive.execute(stream, {{DNNL_ARG_DIFF_DST, aMem}, {DNNL_ARG_WEIGHTS, weights},
                                   {DNNL_ARG_DIFF_SRC, outMem}});
    }
  } else {
    memory grad = outMem;
    if (p.primitiveWeights != p.out) grad = memory(p.primitiveWeights, engine);
    p.primitive.execute(stream, {{DNNL_ARG_SRC, aMem}, {DNNL_ARG_DIFF_DST, bMem},
                                 {DNNL_ARG_DIFF_WEIGHTS, grad}});
    if (p.primitiveWeights != p.out) dnnl::reorder(grad, outMem).execute(stream, grad, outMem);
  }
  stream.wait();
}


// oneDNN 2.6's JIT GEMM kernels (x64:gemm:jit, which it picks e.g. for the filter gradient of
// dilated temporal convs) point rsp at a heap buffer while they run, so a signal delivered to a
// thread inside one writes its frame onto the heap (oneDNN issue #4845, fixed upstream in 2026):
// measured here, a process running such convs while child processes exit around it (SIGCHLD, as
// from ffmpeg decoders during `classify`) aborts with "corrupted size vs. prev_size" or SIGBUS
// within seconds; so does one under --cpu-prof (SIGPROF). Every entry point below therefore runs
// with the asynchronous signals blocked on the calling thread (they stay pending and are handled
// when it returns), and OpenMP's threads, created inside these calls, inherit that mask for good.
// Faults raised by the code itself (SIGSEGV, SIGBUS, ...) are left unblocked.
class AsyncSignalsBlocked {
 public:
  AsyncSignalsBlocked() {
    sigset_t blocked;
    sigfillset(&blocked);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT}) sigdelset(&blocked, fault);
    pthread_sigmask(SIG_BLOCK, &blocked, &previous_);
  }
  ~AsyncSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  AsyncSignalsBlocked(const AsyncSignalsBlocked&) = delete;
  AsyncSignalsBlocked& operator=(const AsyncSignalsBlocked&) = delete;

 private:
  sigset_t previous_;
};

// --- batch-norm loops (see BatchNormTraining.ts for the formulas) -----------------------------

// sum[c] += x, squares[c] += x^2 over every pixel, in pixel order per channel.
// Threads for a loop over `length` elements: setThreads' count when the tensor is large enough to
// repay forking the team. Every loop below splits its work so that each channel's float64 sums
// still run over the pixels in order (channels split across threads; element-wise loops split
// pixels): the results are the same bits at any thread count.
constexpr size_t kParallelElements = size_t{1} << 16;
int loopThreads(size_t length) { return length >= kParallelElements ? maxThreads : 1; }

// [begin, end) of `count` items for thread `thread` of `threads`.
std::pair<size_t, size_t> share(size_t count, int thread, int threads) {
  const size_t each = count / threads, extra = count % threads;
  const size_t begin = thread * each + std::min<size_t>(thread, extra);
  return {begin, begin + each + (static_cast<size_t>(thread) < extra ? 1 : 0)};
}

void bnSums(const float* x, size_t length, double* sum, double* squares, size_t channels) {
  std::fill(sum, sum + channels, 0.0);
  std::fill(squares, squares + channels, 0.0);
#pragma omp parallel num_threads(loopThreads(length))
  {
    const auto [c0, c1] = share(channels, omp_get_thread_num(), omp_get_num_threads());
    for (size_t p = 0; p < length; p += channels) {
      for (size_t c = c0; c < c1; ++c) {
        const double v = x[p + c];
        sum[c] += v;
        squares[c] += v * v;
      }
    }
  }
}

// y = x * scale[c] + shift[c], then (v + |v|) / 2 with relu.
void bnAffine(const float* x, size_t length, float* y, const double* scale, const double* shift,
              size_t channels, bool relu) {
#pragma omp parallel for num_threads(loopThreads(length)) schedule(static)
  for (size_t p = 0; p < length; p += channels) {
    for (size_t c = 0; c < channels; ++c) {
      const double v = static_cast<double>(x[p + c]) * scale[c] + shift[c];
      y[p + c] = static_cast<float>(relu ? 0.5 * (v + std::fabs(v)) : v);
    }
  }
}

// 1 where y's bits are > 0 (y > 0: relu outputs are never negative or -0), all ones without relu
// (y null); the JavaScript loop's test, NaN included.
inline double keep(const float* y, size_t i) {
  if (y == nullptr) return 1.0;
  int32_t bits;
  std::memcpy(&bits, y + i, sizeof bits);
  return bits > 0 ? 1.0 : 0.0;
}

// sumG[c] += g, sumGX[c] += g * x with g = dy * keep.
void bnGradSums(const float* dy, const float* x, const float* y, size_t length, double* sumG,
                double* sumGX, size_t channels) {
  std::fill(sumG, sumG + channels, 0.0);
  std::fill(sumGX, sumGX + channels, 0.0);
#pragma omp parallel num_threads(loopThreads(length))
  {
    const auto [c0, c1] = share(channels, omp_get_thread_num(), omp_get_num_threads());
    for (size_t p = 0; p < length; p += channels) {
      for (size_t c = c0; c < c1; ++c) {
        const double g = static_cast<double>(dy[p + c]) * keep(y, p + c);
        sumG[c] += g;
        sumGX[c] += g * static_cast<double>(x[p + c]);
      }
    }
  }
}

// dx = a[c] * g - k[c] * x + d[c], g = dy * keep.
void bnInputGrad(const float* dy, const float* x, const float* y, size_t length, float* dx,
                 const double* a, const double* k, const double* d, size_t channels) {
#pragma omp parallel for num_threads(loopThreads(length)) schedule(static)
  for (size_t p = 0; p < length; p += channels) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t i = p + c;
      const double v = a[c] * static_cast<double>(dy[i]) * keep(y, i) -
                       k[c] * static_cast<double>(x[i]) + d[c];
      dx[i] = static_cast<float>(v);
    }
  }
}


// --- max-pool gradient (see MaxPoolGrad.ts): each window's gradient goes to the first element,
// row-major over the window, equal to the forward output; the same order of float32 additions.

struct PoolGeometry {
  int64_t batch, inHeight, inWidth, channels, outHeight, outWidth, strideHeight, strideWidth,
      filterHeight, filterWidth, top, left;
};

void maxPoolGrad(const float* x, const float* y, const float* dy, float* dx, const PoolGeometry& g) {
  const int64_t batchSize = g.inHeight * g.inWidth * g.channels;
  // batch items write disjoint parts of dx, so they can run on different threads
#pragma omp parallel for num_threads(loopThreads(g.batch * batchSize)) schedule(static)
  for (int64_t b = 0; b < g.batch; ++b) {
    const int64_t xBatch = b * batchSize;
    std::fill(dx + xBatch, dx + xBatch + batchSize, 0.0f);
    for (int64_t yr = 0; yr < g.outHeight; ++yr) {
      const int64_t r0 = yr * g.strideHeight - g.top;
      const int64_t rBegin = std::max<int64_t>(0, r0);
      const int64_t rEnd = std::min<int64_t>(g.inHeight, r0 + g.filterHeight);
      for (int64_t yc = 0; yc < g.outWidth; ++yc) {
        const int64_t c0 = yc * g.strideWidth - g.left;
        const int64_t cBegin = std::max<int64_t>(0, c0);
        const int64_t cEnd = std::min<int64_t>(g.inWidth, c0 + g.filterWidth);
        const int64_t yAt = ((b * g.outHeight + yr) * g.outWidth + yc) * g.channels;
        for (int64_t d = 0; d < g.channels; ++d) {
          const float max = y[yAt + d];
          int64_t target = -1;
          for (int64_t r = rBegin; r < rEnd && target < 0; ++r) {
            for (int64_t c = cBegin; c < cEnd; ++c) {
              const int64_t at = xBatch + d + (r * g.inWidth + c) * g.channels;
              if (x[at] == max) {
                target = at;
                break;
              }
            }
          }
          if (target >= 0) dx[target] = dx[target] + dy[yAt + d];
        }
      }
    }
  }
}

// --- Node-API glue -----------------------------------------------------------------------------

napi_value throwError(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

bool typedArray(napi_env env, napi_value value, napi_typedarray_type expected, void** data,
                size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, value, &type, length, data, &buffer, &offset) != napi_ok)
    return false;
  return type == expected;
}

napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return throwError(env, "dnnl conv: expected 5 arguments (kind, a, b, out, geometry)");
  int32_t kind = -1;
  napi_get_value_int32(env, argv[0], &kind);
  if (kind < 0 || kind > 2) return throwError(env, "dnnl conv: expected kind 0, 1 or 2");
  void* data[3];
  size_t length[3];
  for (int i = 0; i < 3; ++i) {
    if (!typedArray(env, argv[1 + i], napi_float32_array, &data[i], &length[i]))
      return throwError(env, "dnnl conv: expected Float32Array arguments a, b, out");
  }
  void* geometryData;
  size_t geometryLength;
  if (!typedArray(env, argv[4], napi_int32_array, &geometryData, &geometryLength) ||
      geometryLength != kGeometryLength)
    return throwError(env, "dnnl conv: expected an Int32Array geometry of 17 numbers");
  const int32_t* gi = static_cast<const int32_t*>(geometryData);
  Geometry g{gi[0], gi[1], gi[2],  gi[3],  gi[4],  gi[5],  gi[6],  gi[7], gi[8],
             gi[9], gi[10], gi[11], gi[12], gi[13], gi[14], gi[15], gi[16]};
  const size_t xSize = g.n * g.h * g.w * g.ci, ySize = g.n * g.ho * g.wo * g.co,
               fSize = g.kh * g.kw * g.ci * g.co;
  const size_t expected[3][3] = {{xSize, fSize, ySize}, {ySize, fSize, xSize},
                                 {xSize, ySize, fSize}};
  for (int i = 0; i < 3; ++i) {
    if (length[i] != expected[kind][i])
      return throwError(env, "dnnl conv: argument " + std::to_string(i + 1) + " has " +
                                 std::to_string(length[i]) + " elements, expected " +
                                 std::to_string(expected[kind][i]));
  }
  std::string key(reinterpret_cast<const char*>(gi), sizeof(int32_t) * kGeometryLength);
  key.push_back(static_cast<char>(kind));
  const AsyncSignalsBlocked signalsBlocked;
  try {
    omp_set_num_threads(threadsFor(g));  // oneDNN builds and runs a primitive with this many
    // A process that meets many geometries (a long-lived worker) starts over past this many
    // primitives rather than keeping every JIT-compiled one.
    if (cache().size() >= kMaxPrimitives && cache().find(key) == cache().end()) cache().clear();
    auto& prepared = cache()[key];
    if (!prepared) prepared = prepare(kind, g);
    run(*prepared, static_cast<float*>(data[0]), static_cast<float*>(data[1]),
        static_cast<float*>(data[2]));
  } catch (const dnnl::error& e) {
    cache().erase(key);
    return throwError(env, std::string("dnnl conv: ") + e.what());
  } catch (const std::exception& e) {
    cache().erase(key);
    return throwError(env, std::string("dnnl conv: ") + e.what());
  }
  return nullptr;
}


struct Array {
  void* data = nullptr;
  size_t length = 0;
};

// Reads argument `index` as a typed array of `type` (null or undefined allowed when `optional`).
bool arrayArg(napi_env env, napi_value* argv, int index, napi_typedarray_type type, Array* out,
              bool optional = false) {
  if (optional) {
    napi_valuetype kind;
    napi_typeof(env, argv[index], &kind);
    if (kind == napi_null || kind == napi_undefined) return true;
  }
  return typedArray(env, argv[index], type, &out->data, &out->length);
}

// bn(op, ...): 0 sums(x, sum, squares); 1 affine(x, y, scale, shift, relu);
// 2 gradSums(dy, x, y|null, sumG, sumGX); 3 inputGrad(dy, x, y|null, dx, a, k, d).
// Float32Array tensors [..., C]; Float64Array per-channel arrays [C].
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t op = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 3)
    return throwError(env, "native bn: expected op 0..3");
  const size_t wanted[4] = {4, 6, 6, 8};
  if (argc != wanted[op])
    return throwError(env, "native bn: op " + std::to_string(op) + " takes " +
                               std::to_string(wanted[op]) + " arguments");
  const int tensors[4] = {1, 2, 3, 4};  // leading Float32Array arguments
  Array t[4];
  for (int i = 0; i < tensors[op]; ++i) {
    const bool optional = (op >= 2 && i == 2);
    if (!arrayArg(env, argv, 1 + i, napi_float32_array, &t[i], optional))
      return throwError(env, "native bn: argument " + std::to_string(1 + i) +
                                 " must be a Float32Array");
  }
  const int perChannel = op == 3 ? 3 : 2;
  Array c[3];
  for (int i = 0; i < perChannel; ++i) {
    if (!arrayArg(env, argv, 1 + tensors[op] + i, napi_float64_array, &c[i]))
      return throwError(env, "native bn: per-channel argument " +
                                 std::to_string(1 + tensors[op] + i) + " must be a Float64Array");
  }
  const size_t channels = c[0].length;
  const size_t length = t[0].length;
  for (int i = 0; i < perChannel; ++i)
    if (c[i].length != channels) return throwError(env, "native bn: per-channel lengths differ");
  for (int i = 0; i < tensors[op]; ++i)
    if (t[i].data != nullptr && t[i].length != length)
      return throwError(env, "native bn: tensor lengths differ");
  if (channels == 0 || length % channels != 0)
    return throwError(env, "native bn: expected a tensor [..., C] with C = the per-channel length");
  auto f = [&](int i) { return static_cast<float*>(t[i].data); };
  auto d = [&](int i) { return static_cast<double*>(c[i].data); };
  const AsyncSignalsBlocked signalsBlocked;  // OpenMP threads created here inherit the mask
  switch (op) {
    case 0:
      bnSums(f(0), length, d(0), d(1), channels);
      break;
    case 1: {
      bool relu = false;
      napi_get_value_bool(env, argv[5], &relu);
      bnAffine(f(0), length, f(1), d(0), d(1), channels, relu);
      break;
    }
    case 2:
      bnGradSums(f(0), f(1), f(2), length, d(0), d(1), channels);
      break;
    default:
      bnInputGrad(f(0), f(1), f(2), length, f(3), d(0), d(1), d(2), channels);
  }
  return nullptr;
}


// maxPoolGrad(x, y, dy, dx, geometry): Float32Arrays x/dx [N,H,W,C], y/dy [N,Ho,Wo,C]; geometry
// Int32Array(12): N, H, W, C, Ho, Wo, sh, sw, fh, fw, top, left.
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return throwError(env, "native maxPoolGrad: expected 5 arguments");
  Array t[4];
  for (int i = 0; i < 4; ++i) {
    if (!arrayArg(env, argv, i, napi_float32_array, &t[i]))
      return throwError(env, "native maxPoolGrad: argument " + std::to_string(i + 1) +
                                 " must be a Float32Array");
  }
  Array geometry;
  if (!arrayArg(env, argv, 4, napi_int32_array, &geometry) || geometry.length != 12)
    return throwError(env, "native maxPoolGrad: expected an Int32Array geometry of 12 numbers");
  const int32_t* gi = static_cast<const int32_t*>(geometry.data);
  PoolGeometry g{gi[0], gi[1], gi[2], gi[3], gi[4], gi[5], gi[6], gi[7], gi[8], gi[9], gi[10], gi[11]};
  const size_t xSize = g.batch * g.inHeight * g.inWidth * g.channels;
  const size_t ySize = g.batch * g.outHeight * g.outWidth * g.channels;
  if (t[0].length != xSize || t[3].length != xSize || t[1].length != ySize || t[2].length != ySize)
    return throwError(env, "native maxPoolGrad: array sizes do not match the geometry");
  const AsyncSignalsBlocked signalsBlocked;  // OpenMP threads created here inherit the mask
  maxPoolGrad(static_cast<const float*>(t[0].data), static_cast<const float*>(t[1].data),
              static_cast<const float*>(t[2].data), static_cast<float*>(t[3].data), g);
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t threads = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1)
    return throwError(env, "dnnl setThreads: expected a positive integer");
  maxThreads = threads;
  cache().clear();  // oneDNN fixes a primitive's thread count when it is built
  return nullptr;
}

napi_value Implementation(napi_env env, napi_callback_info info) {
  // The oneDNN implementation chosen for each cached primitive ("jit:avx2", "gemm:jit", ...).
  napi_value result;
  napi_create_object(env, &result);
  for (auto& [key, prepared] : cache()) {
    const char* impl = nullptr;
    const_dnnl_primitive_desc_t pd = nullptr;
    dnnl_primitive_get_primitive_desc(prepared->primitive.get(), &pd);
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    const int32_t* gi = reinterpret_cast<const int32_t*>(key.data());
    std::string name = std::to_string(static_cast<int>(key.back()));
    for (int i = 0; i < kGeometryLength; ++i) name += "," + std::to_string(gi[i]);
    napi_value value;
    napi_create_string_utf8(env, impl ? impl : "?", NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, result, name.c_str(), value);
  }
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bn", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implementations", nullptr, Implementation, nullptr, nullptr, nullptr, napi_default,
       nullptr},
  };
  napi_define_properties(env, exports, 5, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
