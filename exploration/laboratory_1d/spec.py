SIZE = 256
spec = {"operator": {"kind": "fourier", "mask": {"kind": "lowpass", "size": SIZE, "rate": 0.25}},
        "model": {"kind": "postprocessing", "init": "adjoint", "input": "channels",
                  "net": {"kind": "unet", "dim": 1, "in_channels": 2, "out_channels": 1, "base": 8,
                          "depth": 4, "residual": False, "seed": 0}}}
