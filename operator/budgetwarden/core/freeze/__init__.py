"""What a freeze does and who gets through: workloads and their versions, the enforcement plan,
FreezeExceptions, the admission decisions and messages, webhook configurations and the
ValidatingAdmissionPolicy mode."""
