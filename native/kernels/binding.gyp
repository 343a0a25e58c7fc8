{
  "targets": [
    {
      "target_name": "floe_kernels",
      "sources": ["src/floe_kernels.cc", "src/gemm.cc", "src/reduce.cc", "src/napi_gelu_norm.cc", "src/napi_cross_entropy.cc", "src/napi_adamw.cc", "src/napi_attention_softmax.cc", "src/napi_attention_core.cc", "src/napi_rope_packed.cc", "src/napi_conv_filter_grad.cc", "src/napi_conv_input_grad.cc", "src/napi_conv_forward.cc", "src/napi_max_pool_grad.cc", "src/gelu_norm.cc", "src/cross_entropy.cc", "src/adamw.cc", "src/attention_softmax.cc", "src/attention_core.cc", "src/rope_packed.cc", "src/conv_filter_grad.cc", "src/conv_input_grad.cc", "src/conv_forward.cc", "src/max_pool_grad.cc"],
      "cflags_cc": ["-O3", "-Wall", "-fno-math-errno", "-std=c++17"],
      "cflags_cc!": ["-O2", "-O0"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"] }
    }
  ]
}
