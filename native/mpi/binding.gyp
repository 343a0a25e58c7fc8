{
  "targets": [
    {
      "target_name": "floe_mpi",
      "sources": ["src/floe_mpi.c"],
      "cflags": ["-O2", "-Wall", "<!@(mpicc --showme:compile)"],
      "libraries": ["<!@(mpicc --showme:link)"]
    }
  ]
}
