"""The recurrent core shared by capture and gradients: cell equations, input checks, the step loop."""
