// Node-API addon: NHWC conv2d forward, input gradient and filter gradient on oneDNN (the library
// PyTorch's CPU convolutions run on), computed in place on Float32Arrays that the caller owns:
// views into the tfjs wasm heap or the cpu backend's arrays. Filters are tfjs' HWIO layout.
//
// conv(kind, a, b, out, geometry): kind 0 forward (a = x, b = filter, out = y); 1 input gradient
// (a = dy, b = filter, out = dx); 2 filter gradient (a = x, b = dy, out = dfilter).
// geometry (Int32Array, 17): N, H, W, Ci, Co, kh, kw, Ho, Wo, sh, sw, dh, dw, top, left, bottom,
// right. Primitives are built once per (kind, geometry) and kept: building JITs code (~ms).
// Engine, stream and cache are per thread: worker threads of a pool may each load this addon, and
// OpenMP's thread count (setThreads) is a setting of the calling thread too.
#include <node_api.h>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <map>
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
  try {
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

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t threads = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &threads) != napi_ok || threads < 1)
    return throwError(env, "dnnl setThreads: expected a positive integer");
  omp_set_num_threads(threads);
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
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"implementations", nullptr, Implementation, nullptr, nullptr, nullptr, napi_default,
       nullptr},
  };
  napi_define_properties(env, exports, 3, properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
