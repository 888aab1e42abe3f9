# Stop in bump(), step up to its port write, step over it and look at
# the VM exit it caused in kvmini's trace (docs/tutorial.md, step 8).
target remote :1234
break bump
continue
print *(int *)&counter
x/4i $pc
stepi 3
info registers rip rdx rax
shell echo "trace lines so far: $(wc -l < build/tutorial-trace.txt)"
stepi
shell cat build/tutorial-trace.txt
info registers rip
print *(int *)&counter
detach
